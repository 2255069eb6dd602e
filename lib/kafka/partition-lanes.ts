// Per-partition lanes: a consumer hands each batch to its partition's lane and returns, so
// kafkajs fetches the next batches while earlier ones are still being applied (kafkajs
// fetches again only once every batch of the last fetch has been handed back). A lane
// applies its batches one at a time, in offset order; when `depth` batches wait in it,
// handing over waits (the fetch loop with it), so memory stays bounded.
//
// Each batch names the offset it was fetched from and the offset after it. A lane accepts
// only the batch that continues where the last one it accepted ended: when a batch fails,
// the batches queued behind it are dropped and the lane expects the failed batch's offset
// again (the caller seeks there), so nothing is skipped and nothing applied out of order.

export interface LaneBatch {
  partition: number;
  /** The offset the batch was fetched from. */
  from: string;
  /** The offset after its last message. */
  next: string;
}

export interface PartitionLanes<B extends LaneBatch> {
  /** Queues the batch; false when it does not continue its lane (fetched before a seek). */
  hand(batch: B): Promise<boolean>;
  /** Forget what each lane expects next and drop what waits (after a rebalance); a batch being applied finishes. */
  reset(): void;
  /** Drop what waits in a partition's lane and accept only a batch from `offset` next (after a seek there). */
  expect(partition: number, offset: string): void;
  /** The offset a partition's lane accepts a batch from next, if it is particular. */
  expecting(partition: number): string | undefined;
  /** Resolves once every batch handed over so far is applied or dropped. */
  drain(): Promise<void>;
}

interface Lane {
  tail: Promise<void>;
  queued: number;
  /** Bumped to drop what waits. */
  generation: number;
  expected?: string;
  spaced: (() => void)[];
  failures: number;
}

export interface LaneOptions<B> {
  /** Batches a lane holds, the one being applied included. */
  depth: number;
  apply(batch: B): Promise<void>;
  /** Called once a batch failed and what waited behind it was dropped; the lane now expects `batch.from`. Must not throw. */
  failed(batch: B, err: unknown): void;
  /** Pause before a lane applies again after its nth failure in a row, ms. */
  backoffMs?: (failures: number) => number;
}

const defaultBackoff = (failures: number) => Math.min(5_000, 100 * 2 ** (failures - 1));

export function partitionLanes<B extends LaneBatch>(options: LaneOptions<B>): PartitionLanes<B> {
  const { depth, apply, failed, backoffMs = defaultBackoff } = options;
  if (!(depth >= 1)) throw new Error('partitionLanes: depth must be at least 1');
  const lanes = new Map<number, Lane>();

  const laneOf = (partition: number) => {
    let lane = lanes.get(partition);
    if (!lane) lanes.set(partition, (lane = { tail: Promise.resolve(), queued: 0, generation: 0, spaced: [], failures: 0 }));
    return lane;
  };

  const run = async (lane: Lane, batch: B, generation: number) => {
    if (generation !== lane.generation) return;
    try {
      await apply(batch);
      lane.failures = 0;
    } catch (err) {
      lane.generation++;
      lane.expected = batch.from;
      lane.failures++;
      failed(batch, err);
      await new Promise((resolve) => setTimeout(resolve, backoffMs(lane.failures)));
    }
  };

  return {
    async hand(batch) {
      const lane = laneOf(batch.partition);
      while (lane.queued >= depth) await new Promise<void>((resolve) => lane.spaced.push(resolve));
      if (lane.expected !== undefined && batch.from !== lane.expected) return false;
      lane.queued++;
      lane.expected = batch.next;
      const generation = lane.generation;
      lane.tail = lane.tail
        .then(() => run(lane, batch, generation))
        .finally(() => {
          lane.queued--;
          lane.spaced.shift()?.();
        });
      return true;
    },
    reset() {
      for (const lane of lanes.values()) {
        lane.generation++;
        lane.expected = undefined;
      }
    },
    expect(partition, offset) {
      const lane = laneOf(partition);
      lane.generation++;
      lane.expected = offset;
    },
    expecting: (partition) => lanes.get(partition)?.expected,
    async drain() {
      await Promise.all([...lanes.values()].map((lane) => lane.tail));
    },
  };
}
