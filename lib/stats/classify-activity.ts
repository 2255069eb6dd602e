// One partition's batch of activity frames, classified exactly as TumblingWindows would
// classify them against the partition's watermark, and grouped for one Redis call: for
// each minute, the distinct uids of the frames in time for the minute (and so for its hour
// and day), those late for the minute but in time for the hour, and so on, each group with
// its count of frames (late events are counted per frame). The watermark moves after
// each frame, as in TumblingWindows, so replaying the same frames from the same watermark
// gives the same groups.

/** The windows counted, smallest first. A frame in time for one is in time for the larger. */
export const WINDOWS = [
  { name: 'm', sizeSec: 60 },
  { name: 'h', sizeSec: 3600 },
  { name: 'd', sizeSec: 86_400 },
] as const;

export type WindowName = (typeof WINDOWS)[number]['name'];

export interface ActivityGroup {
  /** Index into WINDOWS of the smallest window the frames are in time for; WINDOWS.length when late for all. */
  level: number;
  /** Start of the frames' minute, epoch seconds. */
  minute: number;
  /** Frames in the group. */
  frames: number;
  /** Their distinct uids. */
  uids: string[];
}

export interface Classifier {
  add(uid: string, tsSec: number): void;
  readonly watermark: number;
  groups(): ActivityGroup[];
}

/** `watermark`: the partition's watermark before the batch (-Infinity when it has none). */
export function classifier(watermark: number, allowedLatenessSec: number): Classifier {
  // key: minute * 4 + level (exact in a double for any minute up to 2^50)
  const byKey = new Map<number, { frames: number; uids: Set<string> }>();
  let wm = watermark;
  return {
    add(uid, tsSec) {
      const start = Math.floor(tsSec / 60) * 60;
      let level = 0;
      // late for a window when the watermark has passed its end plus the allowed lateness
      while (level < WINDOWS.length) {
        const size = WINDOWS[level]!.sizeSec;
        if (Math.floor(start / size) * size + size + allowedLatenessSec > wm) break;
        level++;
      }
      const key = start * 4 + level;
      const group = byKey.get(key);
      if (group) {
        group.frames++;
        group.uids.add(uid);
      } else byKey.set(key, { frames: 1, uids: new Set([uid]) });
      if (tsSec > wm) wm = tsSec;
    },
    get watermark() {
      return wm;
    },
    groups() {
      return [...byKey].map(([key, g]) => ({ level: key % 4, minute: (key - (key % 4)) / 4, frames: g.frames, uids: [...g.uids] }));
    },
  };
}
