// `npm start`'s stop paths, each from a fresh start that brings up its own Kafka, Redis and
// Postgres (on ports where nothing answers, under a profile of its own): SIGINT or SIGTERM
// to its whole process group without a terminal (as a supervisor or `kill -INT -- -PGID`
// sends it, and twice), SIGINT to the top process only, a worker that dies, a server that
// dies when two run behind nginx (--servers 2), and Ctrl-C in a terminal (a pseudo-terminal made by `script`). After each, nothing it started is running:
// no process carries the run's marker in its environment, and none of the three answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNextIfStale } from '../../scripts/app/prepare';
import { ROOT, isAlive, portOpen } from '../../scripts/infra/proc';
import { postgresAnswers } from '../../scripts/infra/postgres';
import { redisAnswers } from '../../scripts/infra/redis';
import { downInfra, profileDir } from '../../scripts/infra/stack';

const MARKER = 'LASTMILE_LIFECYCLE_RUN';
const UP_MS = 240_000;
const DOWN_MS = 90_000;
const lake = mkdtempSync(join(tmpdir(), 'lifecycle-lake-'));
const profiles: string[] = [];

/** Pids of the processes whose environment holds `MARKER=run` (everything npm start started, and its children). */
function marked(run: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`${MARKER}=${run}`)) out.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * A port with the next one free too (Kafka's controller, and the +1 dev mode uses for Redis
 * and Postgres), below the kernel's range of ephemeral ports: a port from that range can be
 * taken meanwhile as the local end of some connection (one of Kafka's, say), and Postgres
 * then fails to listen on it (seen once).
 */
const taken = new Set<number>();
async function pairOfPorts(): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const top = Math.min(low ?? 32768, 65535) - 2;
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * Math.max(1, top - 20_000));
    if (taken.has(p) || taken.has(p + 1) || (await portOpen(p)) || (await portOpen(p + 1))) continue;
    taken.add(p).add(p + 1);
    return p;
  }
}

interface Env {
  PORT: string;
  KAFKA_BROKERS: string;
  REDIS_URL: string;
  DATABASE_URL: string;
}

interface Started {
  child: ChildProcess;
  run: string;
  env: Env;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(how: 'plain' | 'terminal', options = ''): Promise<Started> {
  const run = randomBytes(4).toString('hex');
  const profile = `lifecycle-${run}`;
  profiles.push(profile);
  const kafka = await pairOfPorts();
  const redis = await pairOfPorts(); // nothing answers on it: npm start starts Redis on the next
  const postgres = await pairOfPorts();
  const env = {
    [MARKER]: run,
    LASTMILE_INFRA_PROFILE: profile,
    KAFKA_BROKERS: `127.0.0.1:${kafka}`,
    REDIS_URL: `redis://127.0.0.1:${redis}`,
    DATABASE_URL: `postgresql://postgres@127.0.0.1:${postgres}/lastmile_lifecycle`,
    HOST: '127.0.0.1',
    PORT: String(await pairOfPorts()),
    OSMAND_PORT: '0',
    PUBLIC_URL: '',
    LAKE_DIR: join(lake, run),
    LOG_LEVEL: 'warn',
  };
  const command = `npm start -- --no-simulate ${options}`.trim();
  const child =
    how === 'terminal'
      ? // a pseudo-terminal: npm is its foreground process group, and ^C there is the terminal's SIGINT
        spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
      : spawn('sh', ['-c', `exec ${command}`], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + UP_MS;
  while (!text.includes('lastmile is up')) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before it was up:\n${text}${postgresLog(profile)}`);
    if (Date.now() > deadline) throw new Error(`npm start not up within ${UP_MS / 1000}s:\n${text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, run, env, output: () => text, exited };
}

/** The profile's Postgres log, when it has one (why it did not start). */
function postgresLog(profile: string): string {
  const path = join(profileDir(profile), 'postgres', 'postgres.log');
  return existsSync(path) ? `\n--- ${path}:\n${readFileSync(path, 'utf8').slice(-3000)}` : '';
}

/** What the run started, as its profile's state says (Kafka's and Redis's pids, Postgres's folder). */
function startedOf(run: string): { kafka?: number; redis?: number; postgres?: string } {
  const path = join(profileDir(`lifecycle-${run}`), 'state.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { started: { kafka?: number; redis?: number; postgres?: string } }).started : {};
}

async function expectAllStopped(s: Started, started: { kafka?: number; redis?: number; postgres?: string }) {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), DOWN_MS));
  const code = await Promise.race([s.exited, timeout]);
  if (code === 'timeout') throw new Error(`npm start still running ${DOWN_MS / 1000}s after the stop:\n${s.output()}`);
  // what it started: Kafka, Redis and Postgres among them (on ports where none answered before)
  expect(started.kafka, s.output()).toBeGreaterThan(0);
  expect(started.redis, s.output()).toBeGreaterThan(0);
  expect(started.postgres, s.output()).toBeTruthy();
  expect(marked(s.run), `still running after npm start exited:\n${s.output()}`).toEqual([]);
  expect(await portOpen(Number(s.env.KAFKA_BROKERS.split(':')[1]))).toBe(false);
  expect(await redisAnswers(`redis://127.0.0.1:${Number(new URL(s.env.REDIS_URL).port) + 1}`)).toBe(false);
  const pg = new URL(s.env.DATABASE_URL);
  pg.port = String(Number(pg.port) + 1);
  expect(await postgresAnswers(pg.toString())).toBe(false);
  expect(existsSync(join(started.postgres!, 'data', 'postmaster.pid'))).toBe(false);
  return code;
}

/** The pid of the first process npm start runs for `run` whose arguments hold `script` (and `arg`). */
function processOf(run: string, script: string, arg?: string): number {
  const pid = marked(run).find((p) => {
    const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith(script)) && (arg === undefined || argv.includes(arg));
  });
  if (!pid) throw new Error(`no ${script} ${arg ?? ''} found`);
  return pid;
}

beforeAll(() => {
  buildNextIfStale((line) => console.log(line)); // npm start would build it in its first start; the e2e run reuses it
}, 600_000);

afterAll(async () => {
  // a failed case may leave its stack: stopped here, whatever happened
  for (const profile of profiles) await downInfra(profile, { removeData: true }).catch(() => undefined);
  rmSync(lake, { recursive: true, force: true });
});

/** Starts npm start, stops it by `stop`, and checks that everything it started is gone. */
async function stopsAll(how: 'plain' | 'terminal', stop: (s: Started) => Promise<void> | void, options = ''): Promise<Started & { code: number | null }> {
  const s = await start(how, options);
  const started = startedOf(s.run);
  await stop(s);
  const code = await expectAllStopped(s, started);
  return { ...s, code };
}
const CASE_MS = UP_MS + DOWN_MS + 30_000;

describe('npm start stops everything it started', () => {
  it('on SIGINT to its process group, without a terminal', async () => {
    const s = await stopsAll('plain', (s) => void process.kill(-s.child.pid!, 'SIGINT'));
    expect(s.output()).toContain('[lastmile] stopped');
  }, CASE_MS);

  it('on SIGTERM to its process group sent twice, the second while it stops', async () => {
    const s = await stopsAll('plain', async (s) => {
      process.kill(-s.child.pid!, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      process.kill(-s.child.pid!, 'SIGTERM');
    });
    expect(s.output()).toContain('[lastmile] stopped');
  }, CASE_MS);

  it('on SIGINT to its top process only', async () => {
    await stopsAll('plain', (s) => void process.kill(s.child.pid!, 'SIGINT'));
  }, CASE_MS);

  it('when a worker dies', async () => {
    const s = await stopsAll('plain', (s) => void process.kill(processOf(s.run, 'workers/index.ts', 'location'), 'SIGKILL'));
    expect(s.output()).toMatch(/worker location exited .*stopping everything/);
    expect(s.code).not.toBe(0);
  }, CASE_MS);

  it('with two servers behind nginx, when one of them dies: nginx too', async () => {
    // nginx rewrites its environment (its process title): found by its pid file instead
    let nginx = 0;
    const s = await stopsAll(
      'plain',
      async (s) => {
        expect((await fetch(`http://127.0.0.1:${s.env.PORT}/healthz`)).ok).toBe(true);
        nginx = Number(readFileSync(join(profileDir(`lifecycle-${s.run}`), 'nginx', 'nginx.pid'), 'utf8'));
        expect(isAlive(nginx)).toBe(true);
        process.kill(processOf(s.run, 'server/index.ts'), 'SIGKILL');
      },
      '--servers 2',
    );
    expect(isAlive(nginx)).toBe(false);
    expect(s.output()).toMatch(/nginx {5}http:\/\/127\.0\.0\.1:\d+ → 2 servers/);
    expect(s.output()).toMatch(/server \d exited .*stopping everything/);
    expect(await portOpen(Number(s.env.PORT))).toBe(false);
  }, CASE_MS);

  it('on Ctrl-C in a terminal', async () => {
    const s = await stopsAll('terminal', (s) => void s.child.stdin!.write('\x03'));
    expect(s.output()).toContain('[lastmile] stopped');
  }, CASE_MS);
});
