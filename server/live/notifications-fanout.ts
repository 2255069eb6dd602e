// Each server pushes the order worker's notifications to the order rooms of its own sockets.
import type { Redis } from 'ioredis';
import type { Log } from '../../lib/observability/log';
import type { OrderNotification } from '../../lib/orders/apply-order-events';
import { orderRoom } from '../../lib/realtime/rooms';
import type { LastmileIo } from '../create-server';

export async function startNotificationsFanout(options: { io: LastmileIo; redis: Redis; channel: string; log: Log }): Promise<() => Promise<void>> {
  const sub = options.redis.duplicate({ enableAutoPipelining: false });
  sub.on('message', (_channel: string, text: string) => {
    try {
      for (const n of JSON.parse(text) as OrderNotification[]) options.io.local.to(orderRoom(n.orderId)).emit('order:notification', n);
    } catch (err) {
      options.log.warn({ err }, 'ignoring a malformed notifications announcement');
    }
  });
  await sub.subscribe(options.channel);
  return async () => {
    await sub.quit();
  };
}
