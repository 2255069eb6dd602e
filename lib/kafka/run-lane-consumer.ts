// A consumer group member that works each partition in a lane of its own (partition-lanes.ts):
// kafkajs fetches the next batches while earlier ones are applied, and offsets are committed
// once a second per partition (offset-committer.ts). The sibling of run-consumer.ts for a
// worker whose store fences replays by offset (so an older commit only means that more is
// fetched again and skipped): the activity worker.
//
// The handler's contract is run-consumer's: apply a batch durably, in order, dead-lettering
// what can never be applied, and resolve once the effects are stored; only then is its
// offset committed. A batch that fails is fetched again (the lane seeks back to it), as is
// everything after it. Batches are held as held-batch.ts keeps them, not as kafkajs's message
// objects, and may lie in reused fetch buffers (fetch-buffers.ts).
import type { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import type { Log } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { type HeldBatch, holdBatch } from './held-batch';
import { offsetCommitter } from './offset-committer';
import { type LaneBatch, partitionLanes } from './partition-lanes';
import { type CompleteSend, reliableProducer } from './reliable-producer';
import { type DeadLetterMessage, toDeadLetter } from './run-consumer';

export interface LaneBatchIn {
  partition: number;
  held: HeldBatch;
  /** The offset the batch was fetched from. */
  fetchedOffset: number;
}

export interface LaneHandler {
  /** Applies the batch durably; resolves with what it processed and dead-lettered, or `skipped` when it must not be committed. */
  apply(batch: LaneBatchIn, deadLetter: (messages: { message: KafkaMessage; reason: string }[]) => Promise<void>): Promise<{ processed: number; deadLettered: number } | 'skipped'>;
}

export interface LaneConsumerOptions {
  kafka: Kafka;
  /** The client the consumer fetches with, when not `kafka` (reused fetch buffers). */
  fetchKafka?: Kafka;
  /** Lets a batch's fetched response be reused once the batch is applied (fetch-buffers.ts), or null. */
  holdBuffers?: ((messages: KafkaMessage[]) => (() => void) | null) | null;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  worker: string;
  handler: LaneHandler;
  log: Log;
  metrics: Metrics;
  fetch?: Pick<ConsumerConfig, 'maxBytes' | 'maxBytesPerPartition'>;
  /** Batches a partition's lane holds, the one being applied included (default 2). */
  depth?: number;
  partitionsConcurrently?: number;
  commitEveryMs?: number;
  /** A partition's first retained offset (a rewind to a start retention has moved accepts the new start). */
  lowOffset?: (partition: number) => Promise<number>;
  /** Called when the group assigns this member its partitions (not awaited). */
  onAssigned?: (partitions: number[]) => void;
  /** Awaited before the first batch is applied (what the handler needs that may connect meanwhile). */
  ready?: Promise<unknown>;
}

export interface RunningLaneConsumer {
  consumer: Consumer;
  /** Sends on the dead letters' producer, resolving once every partition is acknowledged (the window emitter's). */
  send: CompleteSend;
  /** The partitions this member reads now. */
  assigned(): number[];
  /** Reads a partition again from `offset`: what waits in its lane is dropped, and so is each batch fetched from elsewhere until one from there arrives. */
  rewind(partition: number, offset: number): Promise<void>;
  stop(): Promise<void>;
}

interface Queued extends LaneBatch {
  held: HeldBatch;
  drop: (() => void) | null;
}

export async function runLaneConsumer(options: LaneConsumerOptions): Promise<RunningLaneConsumer> {
  const { kafka, topic, groupId, handler, log, metrics, worker } = options;
  const consumer = (options.fetchKafka ?? kafka).consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 3_000, ...options.fetch });
  const producer = reliableProducer(kafka, log);
  // the producer (dead letters) is not needed for the first batches: it connects while the consumer joins
  const producing = producer.connect();
  producing.catch(() => undefined); // awaited before any dead letter, and once the consumer runs
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });

  let assigned: number[] = [];
  // partition → the offset a rewind waits for (until a batch from there is applied)
  const rewinding = new Map<number, number>();
  const committer = offsetCommitter({
    everyMs: options.commitEveryMs ?? 1_000,
    commit: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic, ...o }))),
    failed(err, offsets) {
      log.warn({ err, topic, offsets }, `${worker} offset commit failed (a partition may have moved); its next owner skips what is applied`);
    },
  });
  const deadLetterFor = (partition: number) => async (poison: { message: KafkaMessage; reason: string }[]) => {
    if (poison.length === 0) return;
    await producing;
    const messages: DeadLetterMessage[] = poison.map(({ message, reason }) => toDeadLetter({ topic, partition, worker, message, reason }));
    await producer.send([{ topic: options.deadLetterTopic, messages }]);
  };

  async function apply({ partition, held, from, next, drop }: Queued) {
    // kafkajs sends its next fetch first; this batch is handed over while the broker answers
    await new Promise<void>((resolve) => setImmediate(resolve));
    await options.ready;
    const fetchedOffset = Number(from);
    // handed over before a rewind (and waiting for `ready` meanwhile): dropped
    const waitingFor = rewinding.get(partition);
    if (waitingFor !== undefined && fetchedOffset !== waitingFor) return;
    rewinding.delete(partition);
    const timer = metrics.batchSeconds.startTimer({ worker });
    const done = await handler.apply({ partition, held, fetchedOffset }, deadLetterFor(partition));
    drop?.(); // a batch that failed keeps its response from reuse: it is left to the garbage collector
    // skipped, or rewound meanwhile: its commit would undo the rewind's
    if (done === 'skipped' || rewinding.has(partition)) return;
    await committer.applied(partition, next);
    metrics.eventsIn.inc({ type: worker, outcome: 'processed' }, done.processed);
    if (done.deadLettered > 0) {
      metrics.eventsIn.inc({ type: worker, outcome: 'dead_lettered' }, done.deadLettered);
      log.warn({ topic, partition, deadLettered: done.deadLettered }, `${worker} messages sent to the dead-letter topic`);
    }
    timer();
  }

  const lanes = partitionLanes<Queued>({
    depth: options.depth ?? 2,
    apply,
    failed(batch, err) {
      log.warn({ err, topic, partition: batch.partition, offset: batch.from }, `applying a ${worker} batch failed; fetching it again`);
      seek(batch.partition, batch.from);
    },
  });
  const seek = (partition: number, offset: string) => {
    try {
      consumer.seek({ topic, partition, offset });
    } catch (err) {
      // the consumer is between runs (a rebalance or restart): it fetches from the committed offset anyway
      log.warn({ err, topic, partition }, `could not seek the ${worker} consumer`);
    }
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment[topic] ?? [];
    lanes.reset();
    committer.forget();
    rewinding.clear(); // a partition assigned again is checked again
    options.onAssigned?.(assigned);
  });

  let stopping = false;
  committer.start();
  await consumer.run({
    // every partition's batch of a fetch is handed over at once; its lane does the work
    partitionsConsumedConcurrently: Math.max(1, options.partitionsConcurrently ?? 6),
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const { partition, messages } = batch;
      if (messages.length === 0 || stopping) return;
      const lastOffset = messages[messages.length - 1]!.offset;
      // kafkajs sets the offset a batch was fetched from on every Batch, though its types omit it
      const { fetchedOffset } = batch as typeof batch & { fetchedOffset: string };
      // the lane keeps the frames where kafkajs put them, not its message objects
      const held = holdBatch(messages);
      const drop = options.holdBuffers?.(messages) ?? null;
      const queued = { partition, from: fetchedOffset, next: String(Number(lastOffset) + 1), held, drop };
      let handed = await lanes.hand(queued);
      const waitingFor = rewinding.get(partition) ?? Number(lanes.expecting(partition) ?? Number.NaN);
      if (!handed && Number(fetchedOffset) > waitingFor && options.lowOffset) {
        // a rewind or a retry to an offset that retention has deleted since: the consumer began
        // again from the partition's new start
        if (Number(fetchedOffset) <= (await options.lowOffset(partition))) {
          rewinding.set(partition, Number(fetchedOffset));
          lanes.expect(partition, fetchedOffset);
          handed = await lanes.hand(queued);
        }
      }
      // kafkajs fetches on from the last resolved offset, not the committed one
      if (handed) resolveOffset(lastOffset);
      else {
        // fetched from elsewhere than the lane goes on from (before a seek took effect, or a
        // seek that a batch overtook): the consumer is sent where the lane goes on from
        const want = lanes.expecting(partition);
        if (want !== undefined && want !== fetchedOffset) seek(partition, want);
      }
      await heartbeat();
      metrics.consumerLag.set({ group: groupId, topic, partition: String(partition) }, Number(batch.offsetLag()));
    },
  });
  try {
    await producing;
  } catch (err) {
    stopping = true;
    committer.stop();
    await consumer.disconnect();
    throw err;
  }

  return {
    consumer,
    send: producer.send,
    assigned: () => assigned,
    async rewind(partition, offset) {
      // already on its way there, no batch from there applied yet: a second seek could land
      // after a batch from there was handed over, and the lane would refuse the consumer's
      // next fetch from there for good
      if (rewinding.get(partition) === offset) return;
      rewinding.set(partition, offset);
      // a batch fetched from elsewhere is refused, not resolved: the seek stands
      lanes.expect(partition, String(offset));
      committer.forget(partition);
      seek(partition, String(offset));
      // a member that takes the partition over after a rebalance reads it from there too
      await consumer.commitOffsets([{ topic, partition, offset: String(offset) }]).catch((err: unknown) => log.warn({ err, topic, partition }, `could not commit the ${worker} rewind`));
    },
    async stop() {
      stopping = true;
      // what was handed over is applied and committed while the consumer is still in its group
      await lanes.drain();
      committer.stop();
      await committer.flush();
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
