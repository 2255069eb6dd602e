// Work that one process of a group does at a time: every `intervalMs`, the process holding
// the lease (lease.ts) runs the tasks, in order; a task that fails is logged and tried again
// at the next tick. The lease outlives a missed tick or two, not a crash.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Log } from '../observability/log';
import { createLease } from './lease';

export interface LeasedTask {
  name: string;
  run(nowMs: number): Promise<void>;
}

export interface LeasedLoop {
  /** Runs a tick now instead of at the end of the interval. */
  wake(): void;
  /** Finishes the tick under way and releases the lease. */
  stop(): Promise<void>;
}

export function leasedLoop(options: { redis: Redis; key: string; intervalMs: number; tasks: LeasedTask[]; log: Log }): LeasedLoop {
  const { redis, key, intervalMs, tasks, log } = options;
  const lease = createLease(redis, key, `${process.pid}-${randomBytes(4).toString('hex')}`, Math.max(3_000, intervalMs * 6));
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      try {
        if (await lease.hold()) {
          for (const task of tasks) {
            try {
              await task.run(Date.now());
            } catch (err) {
              log.warn({ err, task: task.name }, 'a leased task failed; retrying at the next tick');
            }
          }
        }
      } catch (err) {
        log.warn({ err, key }, 'taking the lease failed; retrying');
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
  })();
  return {
    wake: () => wake?.(),
    async stop() {
      running = false;
      wake?.();
      await loop;
      await lease.release().catch(() => undefined);
    },
  };
}
