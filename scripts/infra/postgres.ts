// Postgres: the configured server when it answers, otherwise a project-local cluster run by
// the unprivileged `postgres` user (Postgres refuses to run as root).
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { InfraError, ensureCommand, run, waitFor } from './proc';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new InfraError(`DATABASE_URL: database name "${name}" must be letters, digits and _`);
  return name;
}

async function withMaintenanceClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 1500 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function postgresAnswers(url: string): Promise<boolean> {
  try {
    return await withMaintenanceClient(url, async (c) => (await c.query('SELECT 1')).rowCount === 1);
  } catch {
    return false;
  }
}

/** Creates the URL's database if it does not exist; returns whether it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withMaintenanceClient(url, async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await c.query(`CREATE DATABASE "${name}"`);
    return true;
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withMaintenanceClient(url, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const find = () =>
    existsSync(base)
      ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a))[0]
      : undefined;
  if (!find()) ensureCommand('initdb', 'postgresql', '/nonexistent');
  const version = find();
  if (!version) throw new InfraError('no Postgres server binaries under /usr/lib/postgresql: apt-get install postgresql');
  return join(base, version, 'bin');
}

const asUser = () => (process.getuid?.() === 0 ? 'postgres' : undefined);

/** Starts a cluster in `dir` on `port` (initialising it the first time); returns the postmaster pid. */
export async function startPostgres(dir: string, port: number): Promise<number> {
  const bin = binDir();
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const user = asUser();
  if (user) {
    const { uid, gid } = userIds(user);
    chownSync(dir, uid, gid);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-instructions'], { user });
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start'], { user });
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(`Postgres on port ${port}`, () => postgresAnswers(url), 30_000, join(dir, 'postgres.log'));
  return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export function stopPostgres(dir: string): void {
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  run(join(binDir(), 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], { user: asUser() });
}

function userIds(user: string): { uid: number; gid: number } {
  const [, , uid, gid] = run('getent', ['passwd', user]).trim().split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
