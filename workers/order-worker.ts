// Order worker: order.events → order state, status history, notifications and anomalies
// in Postgres, the status in Redis; new notifications announced for the servers to push.
// With the location worker, it rebuilds a wiped Redis from the record (lib/hot-state/).
import { decodeEvent } from '../lib/events/decode';
import type { OrderEvent } from '../lib/events/registry';
import { keepHotState } from '../lib/hot-state/hot-state-keeper';
import { type RunningConsumer, runConsumer } from '../lib/kafka/run-consumer';
import { applyOrderEvents } from '../lib/orders/apply-order-events';
import { notificationsChannel } from '../lib/realtime/channels';
import type { WorkerDeps } from './location-worker';

export async function createOrderWorker(deps: WorkerDeps): Promise<RunningConsumer> {
  const channel = notificationsChannel(deps.topics);
  const running = await runConsumer<OrderEvent>({
    kafka: deps.kafka,
    groupId: `${deps.groupPrefix}.orders`,
    topic: deps.topics.orderEvents,
    deadLetterTopic: deps.topics.deadLetters,
    worker: 'orders',
    partitionsConcurrently: deps.partitions,
    log: deps.log,
    metrics: deps.metrics,
    handler: {
      decode: (message) => decodeEvent<OrderEvent>(message, 'order.event'),
      apply: async (events) => {
        const notifications = await applyOrderEvents(deps, events);
        // Best effort: a client that missed one asks for what follows its last sequence.
        if (notifications.length > 0) await deps.redis.publish(channel, JSON.stringify(notifications));
      },
    },
  });
  // a Redis that lost the hot state is rebuilt from the record (by this worker or a location worker)
  const keeper = keepHotState(deps);
  return {
    ...running,
    async stop() {
      await keeper.stop();
      await running.stop();
    },
  };
}
