// One partition's batch of activity frames, classified exactly as TumblingWindows would
// classify them against the partition's watermark, and grouped for one Redis call: for
// each minute, the distinct uids of the frames in time for the minute (and so for its hour,
// day and month), those late for the minute but in time for the hour, and so on, each group
// with its count of frames (late events are counted per frame). The watermark moves after
// each frame, as in TumblingWindows, so replaying the same frames from the same watermark
// gives the same groups.
//
// A frame moves the watermark by at most its Kafka record's timestamp plus a tolerance: a
// client whose clock runs ahead cannot push everyone else's frames into "late". Such a frame
// still counts for the window it names, and is counted there as a frame from the future.
import { GRAINS, windowBounds } from './grains';

export interface ActivityGroup {
  /** Index into GRAINS of the smallest window the frames are in time for; GRAINS.length when late for all. */
  level: number;
  /** Start of the frames' minute, epoch seconds. */
  minute: number;
  /** Frames in the group. */
  frames: number;
  /** Of those, the frames dated later than their record's timestamp plus the tolerance. */
  future: number;
  /** Their distinct uids. */
  uids: string[];
}

export interface Classifier {
  /** `recordTsMs`: the Kafka record's timestamp, or NaN for none (the frame's own time is taken). */
  add(uid: string, tsSec: number, recordTsMs?: number): void;
  readonly watermark: number;
  groups(): ActivityGroup[];
}

const LEVELS = GRAINS.length + 1;

/**
 * `watermark`: the partition's watermark before the batch (-Infinity when it has none).
 * `futureToleranceSec`: how far past its record's timestamp a frame may be dated and still
 * move the watermark to its own time.
 */
export function classifier(watermark: number, allowedLatenessSec: number, futureToleranceSec = Infinity): Classifier {
  // key: minute * LEVELS + level (exact in a double for any minute up to 2^49)
  const byKey = new Map<number, { frames: number; future: number; uids: Set<string> }>();
  let wm = watermark;
  // the window ends of the last minute seen (frames come mostly in order)
  let endsOf = NaN;
  let ends: number[] = [];
  return {
    add(uid, tsSec, recordTsMs = NaN) {
      const start = Math.floor(tsSec / 60) * 60;
      if (start !== endsOf) {
        endsOf = start;
        ends = windowBounds(start).map(([, end]) => end);
      }
      let level = 0;
      // late for a window when the watermark has passed its end plus the allowed lateness
      while (level < GRAINS.length && ends[level]! + allowedLatenessSec <= wm) level++;
      const bound = recordTsMs / 1000 + futureToleranceSec; // NaN without a record timestamp
      const future = tsSec > bound ? 1 : 0;
      const key = start * LEVELS + level;
      const group = byKey.get(key);
      if (group) {
        group.frames++;
        group.future += future;
        group.uids.add(uid);
      } else byKey.set(key, { frames: 1, future, uids: new Set([uid]) });
      const moves = future ? bound : tsSec;
      if (moves > wm) wm = moves;
    },
    get watermark() {
      return wm;
    },
    groups() {
      return [...byKey].map(([key, g]) => {
        const level = key % LEVELS;
        return { level, minute: (key - level) / LEVELS, frames: g.frames, future: g.future, uids: [...g.uids] };
      });
    },
  };
}
