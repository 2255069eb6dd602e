// Redis: the configured one when it answers, otherwise a project-local instance.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { InfraError, ensureCommand, run, waitFor } from './proc';

export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Starts redis-server in `dir` on `port`, persisting with an append-only file synced every second (a crash loses at most a second); returns its pid. */
export async function startRedis(dir: string, port: number): Promise<number> {
  ensureCommand('redis-server', 'redis-server');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  run('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'yes',
    '--pidfile', pidFile, '--logfile', join(dir, 'redis.log'), '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(`Redis on ${url}`, () => redisAnswers(url), 15_000, join(dir, 'redis.log'));
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid) throw new InfraError(`redis-server wrote no pid to ${pidFile}`);
  return pid;
}
