// Archive worker: every event topic (pings, order events, activity, dead letters) → Parquet
// files in the lake (lib/lake/), offsets committed once a range's files are in place.
import { existsSync } from 'node:fs';
import { fetchBuffers } from '../lib/kafka/fetch-buffers';
import { installUndecodedBatches } from '../lib/kafka/record-batches';
import { leasedLoop } from '../lib/kafka/leased-loop';
import { createArchiver } from '../lib/lake/archiver';
import { lakeLines } from '../lib/lake/lake-lines';
import { dueFeatureDays, writeCourierFeatures } from '../lib/lake/courier-features-job';
import { lakeTopicsOf, openLake } from '../lib/lake/lake-views';
import { createParquetWriter } from '../lib/lake/parquet-writer';
import type { RunningConsumer } from '../lib/kafka/run-consumer';
import { ACTIVITY_FETCH } from './activity-worker';
import type { WorkerDeps } from './location-worker';

const FLUSH_CHECK_MS = 50;

export async function createArchiveWorker(deps: WorkerDeps): Promise<RunningConsumer> {
  const { lake, log } = deps;
  const topics = lakeTopicsOf(deps.topics);
  const writer = await createParquetWriter();
  // Fetched responses are read into reused buffers and decoded in place (lib/kafka/fetch-buffers.ts),
  // as the activity worker's: a batch's bytes are copied into its lines, then given back. Its
  // plain record batches come undecoded (lib/kafka/record-batches.ts): the lines are written
  // from the records' bytes where they lie, with no message objects made of them.
  const undecoded = installUndecodedBatches();
  const pooled = fetchBuffers({ undecoded: undecoded.ok });
  const buffers = pooled.inPlace ? pooled : null;
  if (!buffers) log.warn('kafkajs is not the version lib/kafka/fetch-buffers.ts was written for: fetches are copied and decoded as usual');
  else if (!undecoded.ok) log.warn({ why: undecoded.why }, 'record batches decoded by kafkajs');
  const consumer = (buffers ? deps.kafkaWith(buffers.socketFactory) : deps.kafka).consumer({
    groupId: `${deps.groupPrefix}.archive`,
    allowAutoTopicCreation: false,
    ...ACTIVITY_FETCH, // bulk reads, as the activity worker's
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
  });
  const lines = lakeLines();
  const pings = lines.native('courierLocations');
  if (pings.native) log.info('pings checked by the native event check first');
  else log.warn({ why: pings.why }, 'pings checked by ajv only (the native event check is not built)');
  const archiver = createArchiver({
    lines,
    lakeDir: lake.dir,
    topics,
    writer,
    flushMs: lake.flushMs,
    maxBytes: lake.fileBytes,
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset: String(offset) }]),
    log,
  });
  // a rebalance hands out the uncommitted records again, to whoever owns them now
  consumer.on(consumer.events.GROUP_JOIN, () => archiver.reset());
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, deps.partitions ?? 6),
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (batch.messages.length === 0) return;
        const timer = deps.metrics.batchSeconds.startTimer({ worker: 'archive' });
        const release = buffers?.hold(batch.messages);
        // a record batch fetched whole may begin before the offset asked for
        const from = Number((batch as { fetchedOffset?: string }).fetchedOffset ?? 0);
        const records = await archiver.append(batch.topic, batch.partition, batch.messages, Number(batch.highWatermark), from);
        release?.(); // a batch that failed keeps its buffers out of the pool (its retry reads them)
        resolveOffset(batch.messages.at(-1)!.offset);
        await heartbeat();
        deps.metrics.eventsIn.inc({ type: 'archive', outcome: 'processed' }, records);
        deps.metrics.consumerLag.set({ group: `${deps.groupPrefix}.archive`, topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
        timer();
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    writer.close();
    throw err;
  }
  // a record waits at most LAKE_FLUSH_SECONDS (and this tick) before its file is written
  let flushing = Promise.resolve();
  const tick = setInterval(() => {
    flushing = flushing.then(() => archiver.flushDue()).catch((err: unknown) => log.warn({ err }, 'writing due lake files failed; retrying'));
  }, FLUSH_CHECK_MS);
  // each day's courier features (lib/lake/courier-features-job.ts), by one archive worker at a time, hourly
  const features = leasedLoop({
    redis: deps.redis,
    key: `lastmile:${deps.groupPrefix}:courier-features`,
    intervalMs: 60 * 60_000,
    log,
    tasks: [
      {
        name: 'courier features',
        async run(now) {
          const days = dueFeatureDays(lake.dir, now, existsSync);
          if (days.length === 0) return;
          const reader = await openLake(lake.dir, topics);
          try {
            for (const day of days) log.info({ day, couriers: await writeCourierFeatures(reader.connection, lake.dir, day) }, 'courier features written to the lake');
          } finally {
            reader.close();
          }
        },
      },
    ],
  });
  return {
    consumer,
    async stop() {
      await features.stop();
      clearInterval(tick);
      await flushing;
      // no more fetches; the ranges under way are written and committed while the group is still joined
      consumer.pause(Object.values(topics).map((topic) => ({ topic })));
      await archiver.flushAll().catch((err: unknown) => log.warn({ err }, 'writing the last lake files failed: they are written again at the next start'));
      await consumer.disconnect();
      writer.close();
    },
  };
}
