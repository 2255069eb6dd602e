// Activity worker: user.activity → distinct users per event-time minute, hour and day.
//
// Each batch goes to its partition's lane (lib/kafka/partition-lanes.ts), so kafkajs fetches
// the next ones meanwhile. In its lane it goes to a reader thread that reads it without
// parsing whole frames (only the top-level uid and ts), classifies it against its
// partition's watermark, and applies it to Redis by one script that refuses a batch already
// applied (window-store.ts); only then is its offset committed (once a second per partition:
// Redis fences a replay). This event loop is left with Kafka: fetching, committing, and the
// dead-letter topic. Meanwhile one worker of the group, holding a lease, emits the windows
// the watermark has passed and samples the ingest rate.
import { randomBytes } from 'node:crypto';
import type { ConsumerConfig } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { fetchBuffers } from '../lib/kafka/fetch-buffers';
import { type HeldBatch, holdBatch } from '../lib/kafka/held-batch';
import { createLease } from '../lib/kafka/lease';
import { offsetCommitter } from '../lib/kafka/offset-committer';
import { type LaneBatch, partitionLanes } from '../lib/kafka/partition-lanes';
import { toDeadLetter } from '../lib/kafka/run-consumer';
import { statsChannel } from '../lib/realtime/channels';
import { emitWindows } from '../lib/stats/emit-windows';
import { pruneIngestSamples, sampleIngest } from '../lib/stats/sample-ingest';
import { type PartitionState, applyBatch, readPartitionState, statsPrefix } from '../lib/stats/window-store';
import { createFrameReader } from './activity-reader/reader';
import type { WorkerDeps } from './location-worker';

/** Fetch sizes shared with the benchmark's raw baseline, so both read the same batches. */
export const ACTIVITY_FETCH: Pick<ConsumerConfig, 'maxBytes' | 'maxBytesPerPartition'> = {
  maxBytes: 16 * 1024 * 1024,
  maxBytesPerPartition: 4 * 1024 * 1024,
};

const SAMPLE_EVERY_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60_000;
const PRUNE_FIRST_MS = 60_000;
/** Batches a partition's lane holds: one being applied, one fetched behind it. */
const LANE_DEPTH = 2;
const COMMIT_EVERY_MS = 1_000;
const POISON_REASON = 'not a JSON object with a top-level uid (string, 1-128 chars) and ts (epoch seconds, number or numeric string)';

interface ActivityBatch extends LaneBatch {
  held: HeldBatch;
  /** Lets the fetched response the batch lies in be reused (once applied). */
  drop: (() => void) | null;
}

export async function createActivityWorker(deps: WorkerDeps) {
  const { kafka, redis, topics, log, metrics } = deps;
  const { allowedLatenessSec, partitionIdleMs, emitIntervalMs, reader: readerChoice } = deps.stats;
  const topic = topics.userActivity;
  const prefix = statsPrefix(topic);
  const groupId = `${deps.groupPrefix}.activity`;

  // Batches are read and applied on a thread of their own: this event loop keeps Kafka busy.
  // The reader is prepared while the clients connect; its thread starts at the first batch.
  const readerStarting = createFrameReader({ choice: readerChoice, redis, redisUrl: deps.redisUrl, prefix, allowedLatenessSec });
  // Fetched responses are read into reused buffers and decoded in place (lib/kafka/fetch-buffers.ts).
  const pooled = deps.stats.fetchBuffers === 'pooled' ? fetchBuffers() : null;
  if (pooled && !pooled.inPlace) log.warn('kafkajs is not the version lib/kafka/fetch-buffers.ts was written for: activity fetches are copied as usual');
  // copied responses never lie in the pool's buffers: no batch need hold one
  const buffers = pooled?.inPlace ? pooled : null;
  const consumer = (buffers ? deps.kafkaWith(buffers.socketFactory) : kafka).consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 3_000, ...ACTIVITY_FETCH });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const admin = kafka.admin();
  // The producer (dead letters, emitted windows) and the admin (ingest samples) are not needed
  // for the first batches: they connect while the consumer joins and fetches.
  const othersConnected = Promise.all([producer.connect(), admin.connect()]);
  othersConnected.catch(() => undefined); // awaited once the consumer runs, and before any dead letter
  try {
    await Promise.all([consumer.connect(), readerStarting]);
  } catch (err) {
    // a started thread would keep the process alive
    await readerStarting.then(
      (started) => started.close(),
      (readerErr: unknown) => log.warn({ err: readerErr }, 'the activity reader did not start'),
    );
    throw err;
  }
  const reader = await readerStarting;
  if (reader.kind === 'native') log.info('activity frames read by the native scan');
  else if (readerChoice === 'auto') log.warn({ why: reader.why }, 'activity frames read by the JavaScript reader, a third the speed of the native scan');
  await consumer.subscribe({ topic, fromBeginning: true });

  // Each partition's state as of its last applied batch; re-read after a rebalance.
  const states = new Map<number, PartitionState>();
  // Redis holds the applied offsets and refuses a batch applied before, so offsets are
  // committed once a second per partition, not after every batch: a replay from an older
  // commit is skipped. (Per batch, the commits cost ~8% of the throughput here.)
  const committer = offsetCommitter({
    everyMs: COMMIT_EVERY_MS,
    commit: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic, ...o }))),
    failed(err, offsets) {
      log.warn({ err, topic, offsets }, 'activity offset commit failed (a partition may have moved); its next owner skips what is applied');
    },
  });

  /** Reads a batch, applies it to Redis (unless applied already), then commits its offset. */
  async function applyActivity({ partition, held, next, drop }: ActivityBatch) {
    // kafkajs sends its next fetch first; this batch is handed over while the broker answers
    await new Promise<void>((resolve) => setImmediate(resolve));
    const timer = metrics.batchSeconds.startTimer({ worker: 'activity' });
    const last = held.offset(held.count - 1);
    let from = states.get(partition) ?? (await readPartitionState(redis, prefix, partition));
    let counted = 0;
    let poisoned = 0;
    // Frames up to `from.offset` are applied already (a replay after a crash or a rebalance).
    while (last > from.offset) {
      let first = 0;
      while (held.offset(first) <= from.offset) first++; // offsets ascend in a batch
      const target = { partition, from, offset: last };
      // read and, unless some frame is poison, applied on the reader thread
      const read = await reader.read(held.frames(first), target);
      let result = read.applied;
      if (!result) {
        // poison goes to the dead-letter topic before the batch is applied
        const poison = read.poison.map((i) => held.message(first + i));
        await othersConnected;
        await producer.send({
          topic: topics.deadLetters,
          acks: -1,
          messages: poison.map((message) => toDeadLetter({ topic, partition, worker: 'activity', message, reason: POISON_REASON })),
        });
        result = await applyBatch(redis, prefix, allowedLatenessSec, { ...target, watermark: read.watermark, groups: read.groups ?? [] });
      }
      if (result.ok) {
        counted = held.count - first - read.poison.length;
        poisoned = read.poison.length;
        from = { offset: last, watermark: read.watermark };
      } else {
        from = result.state; // another pass got here first: take its state and go on from it
      }
    }
    states.set(partition, from);
    drop?.(); // a batch that failed keeps its response from reuse: it is left to the garbage collector
    await committer.applied(partition, next);
    metrics.eventsIn.inc({ type: 'activity', outcome: 'processed' }, counted);
    if (poisoned > 0) {
      metrics.eventsIn.inc({ type: 'activity', outcome: 'dead_lettered' }, poisoned);
      log.warn({ topic, partition, deadLettered: poisoned }, 'activity frames sent to the dead-letter topic');
    }
    timer();
  }

  // A batch is applied in its partition's lane while kafkajs fetches the next ones.
  const lanes = partitionLanes<ActivityBatch>({
    depth: LANE_DEPTH,
    apply: applyActivity,
    failed(batch, err) {
      states.delete(batch.partition);
      log.warn({ err, topic, partition: batch.partition, offset: batch.from }, 'applying an activity batch failed; fetching it again');
      try {
        consumer.seek({ topic, partition: batch.partition, offset: batch.from });
      } catch (seekErr) {
        // the consumer is between runs (a rebalance or restart): it fetches from the committed offset anyway
        log.warn({ err: seekErr, topic, partition: batch.partition }, 'could not seek back to the failed activity batch');
      }
    },
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    states.clear();
    lanes.reset();
    committer.forget();
  });
  let stopping = false;

  committer.start();
  await consumer.run({
    // every partition's batch of a fetch is handed over at once; its lane does the work
    partitionsConsumedConcurrently: Math.max(1, deps.partitions ?? 6),
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
      const drop = buffers?.hold(messages) ?? null;
      const handed = await lanes.hand({ partition, from: fetchedOffset, next: String(Number(lastOffset) + 1), held, drop });
      // kafkajs fetches on from the last resolved offset, not the committed one
      if (handed) resolveOffset(lastOffset);
      await heartbeat();
      metrics.consumerLag.set({ group: groupId, topic, partition: String(partition) }, Number(batch.offsetLag()));
    },
  });
  try {
    await othersConnected;
  } catch (err) {
    stopping = true;
    committer.stop();
    await consumer.disconnect();
    await reader.close();
    throw err;
  }

  // One emitter per group: the lease outlives a missed tick or two, not a crash.
  const lease = createLease(redis, `${prefix}emitter`, `${process.pid}-${randomBytes(4).toString('hex')}`, Math.max(3_000, emitIntervalMs * 6));
  const emitDeps = { redis, db: deps.db, producer, topic: topics.uniqueUsers, channel: statsChannel(topics), prefix, allowedLatenessSec, partitionIdleMs };
  const sampled = [topics.courierLocations, topics.orderEvents, topics.userActivity];
  let running = true;
  // a rate needs two samples: the first is taken an interval in, not while the worker starts
  let lastSample = Date.now();
  // the first prune a minute in: not while the worker starts (a first query costs Prisma ~0.1 s of CPU)
  let lastPrune = Date.now() - PRUNE_EVERY_MS + PRUNE_FIRST_MS;
  let wake: (() => void) | undefined;
  const emitter = (async () => {
    while (running) {
      try {
        if (await lease.hold()) {
          const emitted = await emitWindows(emitDeps);
          if (emitted.length > 0) log.debug({ windows: emitted.length }, 'unique-users windows emitted');
          const now = Date.now();
          if (now - lastSample >= SAMPLE_EVERY_MS) {
            lastSample = now;
            await sampleIngest(admin, deps.db, sampled);
          }
          if (now - lastPrune >= PRUNE_EVERY_MS) {
            lastPrune = now;
            await pruneIngestSamples(deps.db);
          }
        }
      } catch (err) {
        log.warn({ err }, 'emitting unique-users windows failed; retrying');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, emitIntervalMs);
      });
    }
  })();

  return {
    consumer,
    async stop() {
      running = false;
      stopping = true;
      wake?.();
      await emitter;
      // what was handed over is applied and committed while the consumer is still in its group
      await lanes.drain();
      committer.stop();
      await committer.flush();
      await consumer.disconnect();
      await reader.close();
      await lease.release();
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}
