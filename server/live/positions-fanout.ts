// Each server subscribes to the positions the location worker announces, coalesces them
// per courier, and pushes a frame every frameMs to its own sockets: the ops room gets every
// courier that moved, an order's room its courier. Servers never relay to each other.
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import type { Log } from '../../lib/observability/log';
import { PositionCoalescer } from '../../lib/realtime/position-coalescer';
import type { ClientToServerEvents, CourierPosition, ServerToClientEvents } from '../../lib/realtime/socket-events';

export async function startPositionsFanout(options: {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  redis: Redis;
  channel: string;
  frameMs: number;
  log: Log;
}): Promise<() => Promise<void>> {
  const { io, channel, log } = options;
  const coalescer = new PositionCoalescer();
  const sub = options.redis.duplicate({ enableAutoPipelining: false });
  sub.on('message', (_channel: string, text: string) => {
    try {
      coalescer.add(JSON.parse(text) as CourierPosition[]);
    } catch (err) {
      log.warn({ err }, 'ignoring a malformed positions announcement');
    }
  });
  await sub.subscribe(channel);

  const timer = setInterval(() => {
    if (coalescer.size === 0) return;
    const frame = coalescer.drain();
    io.local.to('ops').emit('positions:frame', frame);
    for (const position of frame) {
      if (position.orderId) io.local.to(`order:${position.orderId}`).emit('order:position', position);
    }
  }, options.frameMs);

  return async () => {
    clearInterval(timer);
    await sub.quit();
  };
}
