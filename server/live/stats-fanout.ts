// Each server pushes the unique-users windows the activity worker emits to its own sockets
// in the stats room (ops only: see the stats:join handler).
import type { Redis } from 'ioredis';
import type { Log } from '../../lib/observability/log';
import type { WindowFigures } from '../../lib/stats/window-store';
import type { LastmileIo } from '../create-server';
import { statsRoom } from '../../lib/realtime/rooms';

export async function startStatsFanout(options: { io: LastmileIo; redis: Redis; channel: string; log: Log }): Promise<() => Promise<void>> {
  const sub = options.redis.duplicate({ enableAutoPipelining: false });
  sub.on('message', (_channel: string, text: string) => {
    try {
      options.io.local.to(statsRoom).emit('stats:windows', JSON.parse(text) as WindowFigures[]);
    } catch (err) {
      options.log.warn({ err }, 'ignoring a malformed stats announcement');
    }
  });
  await sub.subscribe(options.channel);
  return async () => {
    await sub.quit();
  };
}
