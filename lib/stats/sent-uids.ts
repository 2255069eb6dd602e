// Which uids this process has added to each partition's user sets and hourly HyperLogLogs in
// Redis, so that a batch sends a window only the uids its set lacks. A user active all minute
// appears in many batches, but only its first frame of each window changes that window's
// set: the rest were sent, and added again to no effect, at four set operations per frame.
//
// What is remembered is only ever a part of what Redis holds, which is all the answers need:
//   - a partition's memory is used only for the batch that starts where its last batch ended
//     (same applied offset), so batches applied meanwhile by another process (after a
//     rebalance) or refused make it start over, empty;
//   - it is added to only once Redis has taken the batch;
//   - Redis deletes a window's set once the watermark has passed its end plus the allowed
//     lateness, after which no frame is in time for it and so none is added to it; the same
//     window is forgotten here then (an hour's HyperLogLog with its hour, though late frames
//     still go to it, then sent in full);
//   - each window remembers at most MAX_PER_WINDOW uids; past that, the rest are sent again
//     each time, unless a smaller window of theirs remembers them.
// Whatever was sent a minute was sent its hour too (unless the hour had it), and whatever was
// sent an hour was sent its day and HyperLogLog too: so a uid its minute remembers is in all
// four, and one lookup settles most uids.
import { WINDOWS } from './classify-activity';
import type { BatchGroup, PartitionState, UidTargets } from './window-store';

/** Uids remembered per window and partition: ~4 MB of strings and set entries at most. */
export const MAX_PER_WINDOW = 50_000;

const HLL = WINDOWS.length; // index of the hour's HyperLogLog among a group's targets
const HOUR = 3600;

interface Window {
  /** Forgotten once the watermark passes this. */
  until: number;
  uids: Set<string>;
}

interface Partition {
  /** The applied offset this memory is the state of. */
  offset: number;
  windows: Map<string, Window>;
}

export interface SentUids {
  /** Each group with what each of its targets lacks, as far as this process knows. */
  lacking(partition: number, from: PartitionState, groups: BatchGroup[]): BatchGroup[];
  /** The groups (from `lacking`) were applied: the partition's state is now `offset`, `watermark`. */
  applied(partition: number, offset: number, watermark: number, groups: BatchGroup[]): void;
  /** The partition's memory is of no further use (the batch was refused). */
  forget(partition: number): void;
  /** Uids remembered over all partitions and windows. */
  size(): number;
}

export function sentUids(allowedLatenessSec: number): SentUids {
  const partitions = new Map<number, Partition>();
  // a group's targets: the minute's, hour's and day's sets, then the hour's HyperLogLog
  const targets = (g: BatchGroup) => [
    ...WINDOWS.map(({ name, sizeSec }) => {
      const start = g.minute - (g.minute % sizeSec);
      return { key: `${name}:${start}`, until: start + sizeSec + allowedLatenessSec };
    }),
    { key: `hll:${g.minute - (g.minute % HOUR)}`, until: g.minute - (g.minute % HOUR) + HOUR + allowedLatenessSec },
  ];

  return {
    lacking(partition, from, groups) {
      let known = partitions.get(partition);
      if (known?.offset !== from.offset) partitions.set(partition, (known = { offset: from.offset, windows: new Map() }));
      const { windows } = known;
      return groups.map((g) => {
        const [minute, hour, day, hll] = targets(g).map(({ key }) => windows.get(key)?.uids);
        const lacking: UidTargets = [[], [], [], []];
        // a window the group is late for gets no uids (its late frames are counted instead)
        for (const uid of g.uids) {
          if (g.level === 0) {
            if (minute?.has(uid)) continue;
            lacking[0].push(uid);
          }
          if (g.level <= 1) {
            if (hour?.has(uid)) continue;
            lacking[1].push(uid);
          }
          if (g.level <= 2 && !day?.has(uid)) lacking[2].push(uid);
          if (!hll?.has(uid)) lacking[HLL].push(uid);
        }
        return { ...g, lacking };
      });
    },
    applied(partition, offset, watermark, groups) {
      const known = partitions.get(partition);
      if (!known) return;
      known.offset = offset;
      const { windows } = known;
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
    forget(partition) {
      partitions.delete(partition);
    },
    size() {
      let n = 0;
      for (const { windows } of partitions.values()) for (const w of windows.values()) n += w.uids.size;
      return n;
    },
  };
}
