// Each server subscribes to the positions the location worker announces, coalesces them
// per courier, and pushes a frame every frameMs to its own sockets: the ops room gets every
// courier that moved, an order's room its courier. Servers never relay to each other.
// Each frame carries every courier's status, read from its order's cached status with one
// Redis round trip per frame, so the map colours a courier right as it moves.
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { courierStatusOf } from '../../lib/couriers/courier-status';
import { readOrderStatuses } from '../../lib/orders/order-status-store';
import type { Log } from '../../lib/observability/log';
import { PositionCoalescer } from '../../lib/realtime/position-coalescer';
import type { ClientToServerEvents, CourierPosition, ServerToClientEvents } from '../../lib/realtime/socket-events';
import { opsRoom, orderRoom } from '../../lib/realtime/rooms';

/** The positions with their couriers' statuses; without them (logged) when Redis cannot say. */
async function withStatuses(redis: Redis, frame: CourierPosition[], log: Log): Promise<CourierPosition[]> {
  try {
    const orders = await readOrderStatuses(redis, frame.flatMap((p) => (p.orderId ? [p.orderId] : [])));
    return frame.map((p) => ({ ...p, status: courierStatusOf(p.orderId ? orders.get(p.orderId)?.status : undefined) }));
  } catch (err) {
    log.warn({ err }, 'sending a frame without courier statuses: the order statuses could not be read');
    return frame;
  }
}

export async function startPositionsFanout(options: {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  redis: Redis;
  channel: string;
  frameMs: number;
  log: Log;
}): Promise<() => Promise<void>> {
  const { io, redis, channel, log } = options;
  const coalescer = new PositionCoalescer();
  const sub = redis.duplicate({ enableAutoPipelining: false });
  sub.on('message', (_channel: string, text: string) => {
    try {
      coalescer.add(JSON.parse(text) as CourierPosition[]);
    } catch (err) {
      log.warn({ err }, 'ignoring a malformed positions announcement');
    }
  });
  await sub.subscribe(channel);

  // One frame at a time: while a frame's statuses are being read, newer positions coalesce.
  let sending: Promise<void> | undefined;
  const send = async () => {
    const frame = await withStatuses(redis, coalescer.drain(), log);
    io.local.to(opsRoom).emit('positions:frame', frame);
    for (const position of frame) {
      if (position.orderId) io.local.to(orderRoom(position.orderId)).emit('order:position', position);
    }
  };
  const timer = setInterval(() => {
    if (sending || coalescer.size === 0) return;
    sending = send()
      .catch((err: unknown) => log.error({ err }, 'a positions frame failed'))
      .finally(() => {
        sending = undefined;
      });
  }, options.frameMs);

  return async () => {
    clearInterval(timer);
    await sending;
    await sub.quit();
  };
}
