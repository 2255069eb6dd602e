// Location worker: courier.locations → last locations in Redis, history in Postgres. With
// the order worker, it rebuilds a wiped Redis from the record (lib/hot-state/).
import type { ISocketFactory, Kafka } from 'kafkajs';
import type { Config } from '../lib/config';
import type { Redis } from 'ioredis';
import type { Db } from '../lib/db/client';
import { decodeEvent } from '../lib/events/decode';
import type { CourierLocation } from '../lib/events/registry';
import { countPings } from '../lib/couriers/courier-features-store';
import { recordLocations } from '../lib/couriers/record-locations';
import { type RunningConsumer, runConsumer } from '../lib/kafka/run-consumer';
import { keepHotState } from '../lib/hot-state/hot-state-keeper';
import { createAssignmentCache } from '../lib/orders/assignment-cache';
import { positionsChannel } from '../lib/realtime/channels';
import type { TopicNames } from '../lib/kafka/topics';
import type { Log } from '../lib/observability/log';
import type { Metrics } from '../lib/observability/metrics';

export interface WorkerDeps {
  kafka: Kafka;
  /** Another client of the same settings, over other sockets (the activity worker's consumer). */
  kafkaWith(socketFactory: ISocketFactory): Kafka;
  redis: Redis;
  /** For clients of a worker's own threads. */
  redisUrl: string;
  db: Db;
  topics: TopicNames;
  groupPrefix: string;
  /** The topics' partition count (KAFKA_PARTITIONS): a worker applies that many batches at once. */
  partitions?: number;
  stats: Config['stats'];
  lake: Config['lake'];
  log: Log;
  metrics: Metrics;
}

export async function createLocationWorker(deps: WorkerDeps): Promise<RunningConsumer> {
  const channel = positionsChannel(deps.topics);
  // every batch asks who carries its pings' orders: answered from memory once known
  const assignments = await createAssignmentCache({ redis: deps.redis, db: deps.db, log: deps.log });
  const recordDeps = { ...deps, assignments: (ids: Iterable<string>) => assignments.read(ids) };
  const running = await runConsumer<CourierLocation>({
    kafka: deps.kafka,
    groupId: `${deps.groupPrefix}.location`,
    topic: deps.topics.courierLocations,
    deadLetterTopic: deps.topics.deadLetters,
    worker: 'location',
    partitionsConcurrently: deps.partitions,
    log: deps.log,
    metrics: deps.metrics,
    handler: {
      decode: (message) => decodeEvent<CourierLocation>(message, 'courier.location'),
      // Live fan-out: servers coalesce these announcements into frames. Best effort: the
      // map's snapshot covers a missed one.
      apply: (pings) =>
        Promise.all([
          recordLocations(recordDeps, pings, (moved) => deps.redis.publish(channel, JSON.stringify(moved))),
          countPings(deps.redis, pings), // the couriers' live features
        ]).then(() => undefined),
    },
  }).catch(async (err: unknown) => {
    await assignments.close();
    throw err;
  });
  const keeper = keepHotState(deps);
  return {
    ...running,
    async stop() {
      await keeper.stop();
      await running.stop();
      await assignments.close();
    },
  };
}
