// Whether the windows' state in Redis is the state of what the activity worker has read from
// Kafka, and what to do when it is not. Checked when the worker starts, at each partition's
// first batch after an assignment, when Redis refuses a batch or a collect for its epoch,
// and every few seconds (a worker whose partitions are idle would not notice otherwise):
//
//   - no epoch at all (Redis lost the state, or it was never there) or one counted on
//     another Kafka cluster: a new epoch, and every partition is read again from its first
//     retained offset (a recount);
//   - a partition's applied offset past the partition's end, or applied offsets for a
//     partition its group has no commits for (the topic was created again: Kafka deletes a
//     deleted topic's commits; or Kafka's data was reset): the same;
//   - another worker named a new epoch: this one's partitions are read again too;
//   - a partition whose state ends before where the group goes on, or before a batch this
//     worker applies (Redis came back from a snapshot older than the commits): a recount too,
//     since what the readers remember sending Redis may be gone with it;
//   - a partition with no state while its group has read past its first offset (a worker
//     that started on an empty epoch): that partition alone is read again from its start.
//
// The emitter does not move the watermark while a partition holding frames has none applied
// in the epoch (window-store.ts), so a recount marks nothing final until every partition has
// been read again up to the window; windows whose frames retention may have cut are never
// final. Postgres keeps the greatest figures, so what a recount cannot see is not lost there.
import type { Log } from '../observability/log';
import type { PartitionState, WindowStore } from './window-store';

export interface PartitionOffsets {
  /** First retained offset. */
  low: number;
  /** Offset after the last. */
  high: number;
}

export interface EpochDeps {
  store: WindowStore;
  /** The Kafka cluster's id. */
  clusterId(): Promise<string>;
  /** The topic's partitions' retained offsets. */
  offsets(): Promise<Map<number, PartitionOffsets>>;
  /** Read a partition again from `offset`, forgetting what was read of it for the old state. */
  rewind(partition: number, offset: number): Promise<void>;
  /** The partitions this worker reads now. */
  assigned(): number[];
  log: Log;
}

export type PartitionCheck = { ok: true; truncated: boolean } | { ok: false };

export interface StatsEpoch {
  /** Resolves once an epoch is current (named or checked at start). */
  start(): Promise<void>;
  /** The epoch batches are read and applied for. */
  current(): string;
  /**
   * A partition's first batch after an assignment, fetched from `fetchedOffset`, against the
   * state Redis holds for it in `stateEpoch`: ok (truncated when retention cut the partition
   * before its first frame here), or not (it is being read again; drop the batch). A state
   * read for an epoch that is no longer current is not judged: the change of epoch rewound
   * the partition already.
   */
  checkPartition(partition: number, state: PartitionState, fetchedOffset: number, stateEpoch: string): Promise<PartitionCheck>;
  /**
   * A partition assigned with no committed offset in its group while Redis holds applied
   * offsets for it in `stateEpoch`: the topic was created again (Kafka deletes a deleted
   * topic's committed offsets) or the group was: a recount.
   */
  uncommitted(partition: number, state: PartitionState, stateEpoch: string): Promise<void>;
  /**
   * Redis refused a batch from `stateEpoch` because its state for the partition ends before
   * the batch: rolled back (a recount) or an epoch whose rewind of it is under way (read it
   * again from its start).
   */
  behind(partition: number, state: PartitionState, stateEpoch: string): Promise<void>;
  /** Redis refused `epoch` (lost, or another worker named a new one): adopt or name the current one. */
  lost(epoch: string): Promise<void>;
  /** Compares the current epoch with Redis's. */
  poll(): Promise<void>;
}

export function statsEpoch(deps: EpochDeps): StatsEpoch {
  const { store, log } = deps;
  let epoch: string | null = null;
  let cluster = '';
  // one change at a time: lanes, the emitter and the poll may notice at once
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Every assigned partition read again from its first offset, for `next`. */
  async function adopt(next: string, why: string) {
    if (next === epoch) return;
    const previous = epoch;
    epoch = next;
    const offsets = await deps.offsets();
    log.warn({ epoch: next, previous, why }, 'unique-users state: recounting this worker\'s partitions from Kafka');
    for (const partition of deps.assigned()) await deps.rewind(partition, offsets.get(partition)?.low ?? 0);
  }

  async function renew(seen: string | null, why: string) {
    const next = await store.renewEpoch(seen, cluster);
    await adopt(next, why);
    if (next !== seen) {
      // the old epochs' keys: no script writes to them any more
      store.deleteEpochs(next).catch((err: unknown) => log.warn({ err }, 'deleting old unique-users state failed; it expires with its windows'));
    }
  }

  /** Redis's epoch as it stands, named anew when it is missing or counted on another cluster. */
  async function reconcile(why: string) {
    const meta = await store.meta();
    if (!meta.epoch) return renew(null, `${why}: no state in Redis (lost, or never there)`);
    if (meta.cluster !== cluster) return renew(meta.epoch, `${why}: the state was counted on Kafka cluster ${meta.cluster}, this is ${cluster}`);
    return adopt(meta.epoch, `${why}: another worker began a recount`);
  }

  return {
    start: () =>
      serial(async () => {
        cluster = await deps.clusterId();
        const meta = await store.meta();
        if (meta.epoch && meta.cluster === cluster) {
          epoch = meta.epoch;
          return;
        }
        if (!meta.epoch) {
          // nothing to adopt: the first batches find no state and are checked as they come
          epoch = await store.renewEpoch(null, cluster);
          return;
        }
        await renew(meta.epoch, `the state was counted on Kafka cluster ${meta.cluster}, this is ${cluster}`);
      }),
    current() {
      if (epoch === null) throw new Error('statsEpoch: start() first');
      return epoch;
    },
    checkPartition: (partition, state, fetchedOffset, stateEpoch) =>
      serial(async (): Promise<PartitionCheck> => {
        if (stateEpoch !== epoch) return { ok: false };
        const offsets = (await deps.offsets()).get(partition) ?? { low: 0, high: 0 };
        if (state.offset >= offsets.high) {
          await renew(epoch, `partition ${partition}: applied offset ${state.offset} is past the partition's end ${offsets.high} (new topic or cluster data)`);
          return { ok: false };
        }
        const from = state.offset + 1;
        if (fetchedOffset > Math.max(from, offsets.low)) {
          if (state.offset >= 0) {
            // Redis came back older than the commits: what any reader remembers sending it may
            // be gone too (sent-uids.ts), so the whole state is counted again
            await renew(epoch, `partition ${partition}: the state ends at ${state.offset}, before the group's commits (${fetchedOffset}): Redis was rolled back`);
            return { ok: false };
          }
          const to = Math.max(0, offsets.low);
          log.warn({ partition, fetchedOffset, to }, 'unique-users state has nothing of this partition, which its group has read: reading it again from its start');
          await deps.rewind(partition, to);
          return { ok: false };
        }
        // frames before the first one here were cut by retention
        return { ok: true, truncated: offsets.low > from };
      }),
    behind: (partition, state, stateEpoch) =>
      serial(async () => {
        if (stateEpoch !== epoch) return; // the change of epoch rewound the partition
        if (state.offset >= 0) {
          await renew(epoch, `partition ${partition}: Redis's state (${state.offset}) fell behind what this worker applied: Redis was rolled back`);
          return;
        }
        await deps.rewind(partition, Math.max(0, (await deps.offsets()).get(partition)?.low ?? 0));
      }),
    uncommitted: (partition, state, stateEpoch) =>
      serial(async () => {
        if (stateEpoch !== epoch || state.offset < 0) return;
        await renew(epoch, `partition ${partition}: Redis holds offsets up to ${state.offset} but the group has no commits (the topic or the group was created again)`);
      }),
    lost: (seen) =>
      serial(async () => {
        if (seen !== epoch) return; // adopted meanwhile
        await reconcile('Redis refused this worker\'s epoch');
      }),
    poll: () =>
      serial(async () => {
        const meta = await store.meta();
        if (meta.epoch !== epoch) await reconcile('checked');
      }),
  };
}
