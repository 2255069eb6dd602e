// Activity worker: user.activity → distinct users per event-time minute, hour, day and month.
//
// Wiring over lib/: a lane consumer (lib/kafka/run-lane-consumer.ts) hands each batch to a
// reader thread that reads it without parsing whole frames (only the top-level uid and ts),
// classifies it against its partition's watermark, and applies it to Redis by one script
// that refuses a batch already applied (lib/stats/window-store.ts); only then is its offset
// committed. The epoch guard (lib/stats/stats-epoch.ts) checks that Redis's state is the
// state of what was read, and recounts from Kafka when it is not. One worker of the group,
// holding a lease, emits the windows the watermark has passed and samples the ingest rate.
import type { ConsumerConfig } from 'kafkajs';
import { fetchBuffers } from '../lib/kafka/fetch-buffers';
import { leasedLoop } from '../lib/kafka/leased-loop';
import { runLaneConsumer } from '../lib/kafka/run-lane-consumer';
import { statsChannel } from '../lib/realtime/channels';
import { windowEmitter } from '../lib/stats/emit-windows';
import { ingestSampler } from '../lib/stats/ingest-sampler';
import { type PartitionOffsets, statsEpoch } from '../lib/stats/stats-epoch';
import { type PartitionState, statsPrefix, windowStore } from '../lib/stats/window-store';
import { createFrameReader } from './activity-reader/reader';
import type { WorkerDeps } from './location-worker';

/** Fetch sizes shared with the benchmark's raw baseline, so both read the same batches. */
export const ACTIVITY_FETCH: Pick<ConsumerConfig, 'maxBytes' | 'maxBytesPerPartition'> = {
  maxBytes: 16 * 1024 * 1024,
  maxBytesPerPartition: 4 * 1024 * 1024,
};

const POISON_REASON = 'not a JSON object with a top-level uid (string, 1-128 chars) and ts (epoch seconds, number or numeric string)';
/** How often a worker compares its epoch with Redis's. */
const EPOCH_POLL_MS = 2_000;

export async function createActivityWorker(deps: WorkerDeps) {
  const { kafka, redis, topics, log, metrics } = deps;
  const { allowedLatenessSec, partitionIdleMs, emitIntervalMs, futureToleranceSec, reader: readerChoice } = deps.stats;
  const topic = topics.userActivity;
  const prefix = statsPrefix(topic);
  const store = windowStore(redis, prefix);
  const groupId = `${deps.groupPrefix}.activity`;

  // Batches are read and applied on a thread of their own: this event loop keeps Kafka busy.
  // The reader is prepared while the clients connect; its thread starts at the first batch.
  const readerStarting = createFrameReader({ choice: readerChoice, redis, redisUrl: deps.redisUrl, prefix, allowedLatenessSec, futureToleranceSec });
  readerStarting.catch(() => undefined); // awaited below
  // Fetched responses are read into reused buffers and decoded in place (lib/kafka/fetch-buffers.ts).
  const pooled = deps.stats.fetchBuffers === 'pooled' ? fetchBuffers() : null;
  if (pooled && !pooled.inPlace) log.warn('kafkajs is not the version lib/kafka/fetch-buffers.ts was written for: activity fetches are copied as usual');
  // copied responses never lie in the pool's buffers: no batch need hold one
  const buffers = pooled?.inPlace ? pooled : null;

  const admin = kafka.admin();
  // every caller needs the offsets as they stand (a partition with unread frames holds the watermark)
  const offsets = async (): Promise<Map<number, PartitionOffsets>> =>
    new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  let lanes: Awaited<ReturnType<typeof runLaneConsumer>> | undefined;
  const epochs = statsEpoch({
    store,
    log,
    clusterId: async () => (await admin.describeCluster()).clusterId,
    offsets,
    rewind: async (partition, offset) => {
      states.delete(partition);
      await lanes?.rewind(partition, offset);
    },
    assigned: () => lanes?.assigned() ?? [],
  });
  // the admin and the epoch are needed by the first batch, not to join the group
  const ready = admin.connect().then(() => epochs.start());
  ready.catch(() => undefined); // awaited by the first batch, and once the consumer runs

  let reader: Awaited<typeof readerStarting>;
  try {
    reader = await readerStarting;
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
  if (reader.kind === 'native') log.info('activity frames read by the native scan');
  else if (readerChoice === 'auto') log.warn({ why: reader.why }, 'activity frames read by the JavaScript reader, a third the speed of the native scan');

  // Each partition's state as of its last applied batch, and its epoch; read again after an assignment.
  const states = new Map<number, { epoch: string; state: PartitionState }>();

  try {
    lanes = await runLaneConsumer({
      kafka,
      fetchKafka: buffers ? deps.kafkaWith(buffers.socketFactory) : kafka,
      holdBuffers: buffers ? (messages) => buffers.hold(messages) : null,
      groupId,
      topic,
      deadLetterTopic: topics.deadLetters,
      worker: 'activity',
      log,
      metrics,
      fetch: ACTIVITY_FETCH,
      partitionsConcurrently: deps.partitions ?? 6,
      ready,
      // each partition's state checked as it is assigned, not only when a batch comes (a
      // partition with nothing new would never be recounted)
      onAssigned: (partitions) => {
        void (async () => {
          await ready;
          const epoch = epochs.current();
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          for (const partition of partitions) {
            const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
            const state = await store.partitionState(epoch, partition);
            if (offset < 0) await epochs.uncommitted(partition, state, epoch);
            else await epochs.checkPartition(partition, state, offset, epoch);
          }
        })().catch((err: unknown) => log.warn({ err }, 'checking the assigned partitions\' unique-users state failed; their first batches check it'));
      },
      lowOffset: async (partition) => (await offsets()).get(partition)?.low ?? 0,
      handler: {
        /** Reads a batch and applies it to Redis (unless applied already). */
        async apply({ partition, held, fetchedOffset }, deadLetter) {
          const epoch = epochs.current();
          const last = held.offset(held.count - 1);
          const cached = states.get(partition);
          // a state cached for another epoch is not this epoch's
          let from = cached?.epoch === epoch ? cached.state : undefined;
          let truncated = false;
          if (!from) {
            from = await store.partitionState(epoch, partition);
            const check = await epochs.checkPartition(partition, from, fetchedOffset, epoch);
            if (!check.ok || epochs.current() !== epoch) return 'skipped';
            truncated = check.truncated;
          }
          let processed = 0;
          let deadLettered = 0;
          // Frames up to `from.offset` are applied already (a replay after a crash or a rebalance).
          while (last > from.offset) {
            let first = 0;
            while (held.offset(first) <= from.offset) first++; // offsets ascend in a batch
            const target = { partition, epoch, from, offset: last, truncated };
            // read and, unless some frame is poison, applied on the reader thread
            const read = await reader.read(held.frames(first), held.timestamps(first), target);
            let result = read.applied;
            if (!result) {
              // poison goes to the dead-letter topic before the batch is applied
              await deadLetter(read.poison.map((i) => ({ message: held.message(first + i), reason: POISON_REASON })));
              result = await store.apply(allowedLatenessSec, { ...target, watermark: read.watermark, groups: read.groups ?? [] });
            }
            if (result.ok) {
              processed = held.count - first - read.poison.length;
              deadLettered = read.poison.length;
              from = { offset: last, watermark: read.watermark };
              truncated = false;
            } else if ('epoch' in result) {
              states.delete(partition);
              await epochs.lost(epoch); // the partitions are read again for the current epoch
              return 'skipped';
            } else if (result.state.offset + 1 < fetchedOffset) {
              // Redis is behind this batch (rolled back, or an epoch whose rewind of this
              // partition is under way): applying it would skip what lies between
              states.delete(partition);
              await epochs.behind(partition, result.state, epoch);
              return 'skipped';
            } else {
              from = result.state; // another pass got here first: take its state and go on from it
            }
          }
          if (epochs.current() === epoch) states.set(partition, { epoch, state: from });
          return { processed, deadLettered };
        },
      },
    });
    await ready;
  } catch (err) {
    await lanes?.stop().catch(() => undefined);
    await reader.close();
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
  const consumer = lanes.consumer;
  consumer.on(consumer.events.GROUP_JOIN, () => states.clear());

  // Redis's epoch checked every few seconds: a worker whose partitions are idle notices a recount too.
  const poll = setInterval(() => {
    epochs.poll().catch((err: unknown) => log.warn({ err }, 'checking the unique-users epoch failed'));
  }, EPOCH_POLL_MS);
  poll.unref();

  const loop = leasedLoop({
    redis,
    key: `${prefix}emitter`,
    intervalMs: emitIntervalMs,
    log,
    tasks: [
      windowEmitter(
        {
          store,
          epoch: epochs,
          db: deps.db,
          send: lanes.send,
          topic: topics.uniqueUsers,
          channel: statsChannel(topics),
          publish: (channel, message) => redis.publish(channel, message),
          partitions: async () => [...(await offsets())].filter(([, o]) => o.high > o.low).map(([partition, o]) => ({ partition, end: o.high })),
          allowedLatenessSec,
          partitionIdleMs,
        },
        log,
      ),
      ingestSampler({ admin, db: deps.db, topics: [topics.courierLocations, topics.orderEvents, topics.userActivity] }),
    ],
  });

  const running = lanes;
  return {
    consumer,
    async stop() {
      clearInterval(poll);
      await loop.stop();
      await running.stop();
      await reader.close();
      await admin.disconnect();
    },
  };
}
