// Which uids this process has added to the windows' user sets and hourly HyperLogLogs in
// Redis, so that a batch sends a window only the uids its set lacks. A user active all minute
// appears in many batches (and, unkeyed, in every partition), but only its first frame of each
// window changes that window's set: the rest were sent, and added again to no effect.
//
// What is remembered is only ever a part of what Redis holds, which is all the answers need:
//   - the sets are shared by all partitions and only grow within an epoch (see
//     window-store.ts), so what any batch of this process added is there for every other;
//     a new epoch starts with nothing, and so does this memory;
//   - it is added to only once Redis has taken the batch;
//   - Redis releases a window's set once the stream's watermark has passed its end plus the
//     allowed lateness; after that no frame is added to it (it counts as late), so what is
//     remembered of it is never used to leave a uid out of a set that lacks it; it is
//     forgotten here once a partition's watermark passes that point;
//   - each window remembers at most MAX_PER_WINDOW uids; past that, the rest are sent again
//     each time, unless a smaller window of theirs remembers them.
// Whatever was sent a minute was sent its hour too (unless the hour had it), and so on up to
// the largest grain, and whatever was sent a minute or an hour was sent the hour's
// HyperLogLog too: so a uid its minute remembers is in all targets, and one lookup settles
// most uids.
import { GRAINS, windowBounds } from './grains';
import type { BatchGroup } from './window-store';

/** Uids remembered per window: ~8 MB of strings and set entries at most. */
export const MAX_PER_WINDOW = 100_000;

const HLL = GRAINS.length; // index of the hour's HyperLogLog among a group's targets
const HOUR = GRAINS.findIndex((g) => g.grain === 'hour');

interface Window {
  /** Forgotten once a watermark passes this. */
  until: number;
  uids: Set<string>;
}

export interface SentUids {
  /** Each group with what each of its targets lacks, as far as this process knows of `epoch`. */
  lacking(epoch: string, groups: BatchGroup[]): BatchGroup[];
  /** The groups (from `lacking`) were applied in `epoch`, leaving a partition at `watermark`. */
  applied(epoch: string, watermark: number, groups: BatchGroup[]): void;
  /** Uids remembered over all windows. */
  size(): number;
}

export function sentUids(allowedLatenessSec: number): SentUids {
  let known = { epoch: '', windows: new Map<string, Window>() };
  const of = (epoch: string) => {
    if (known.epoch !== epoch) known = { epoch, windows: new Map() };
    return known.windows;
  };
  // a group's targets: each grain's set, then the hour's HyperLogLog
  const targets = (g: BatchGroup) => {
    const bounds = windowBounds(g.minute);
    return [
      ...GRAINS.map(({ window }, r) => ({ key: `${window}:${bounds[r]![0]}`, until: bounds[r]![1] + allowedLatenessSec })),
      { key: `hll:${bounds[HOUR]![0]}`, until: bounds[HOUR]![1] + allowedLatenessSec },
    ];
  };

  return {
    lacking(epoch, groups) {
      const windows = of(epoch);
      return groups.map((g) => {
        const sets = targets(g).map(({ key }) => windows.get(key)?.uids);
        const lacking: string[][] = sets.map(() => []);
        // a window the group is late for gets no uids (its late frames are counted instead)
        for (const uid of g.uids) {
          let r = g.level;
          // what a minute or hour set remembers was sent to the larger grains' sets and to the
          // hour's HyperLogLog too (a day's or month's set spans other hours)
          if (r <= HOUR && sets[r]?.has(uid)) continue;
          for (; r < GRAINS.length && !sets[r]?.has(uid); r++) lacking[r]!.push(uid);
          if (!sets[HLL]?.has(uid)) lacking[HLL]!.push(uid);
        }
        return { ...g, lacking };
      });
    },
    applied(epoch, watermark, groups) {
      const windows = of(epoch);
      for (const g of groups) {
        if (!g.lacking) continue;
        targets(g).forEach(({ key, until }, t) => {
          const uids = g.lacking![t]!;
          if (uids.length === 0) return;
          let window = windows.get(key);
          if (!window) windows.set(key, (window = { until, uids: new Set() }));
          for (const uid of uids) {
            if (window.uids.size >= MAX_PER_WINDOW) break;
            window.uids.add(uid);
          }
        });
      }
      for (const [key, window] of windows) if (window.until <= watermark) windows.delete(key);
    },
    size() {
      let n = 0;
      for (const w of known.windows.values()) n += w.uids.size;
      return n;
    },
  };
}
