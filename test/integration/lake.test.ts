// The lake against real Kafka and the lake folder: the archive worker (its own process) writes
// every event of every archived topic once, through a SIGKILL mid-stream and a restart; a
// replay of the topics rewrites identical files; lake:sql answers over them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDeadLetter } from '../../lib/kafka/run-consumer';
import { lakeTopicsOf, openLake } from '../../lib/lake/lake-views';
import { freePort } from '../../scripts/infra/proc';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
const children: ChildProcess[] = [];
const run = Math.random().toString(36).slice(2, 8);
const T0 = Date.now() - 3_600_000;
const PINGS = 6000;
let lakeDir: string;
/** What the archive workers said at warn level and above. */
const warnings: string[] = [];

async function startArchive(): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts', 'archive'], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'warn', WORKER_HTTP_PORT: String(port), LAKE_FLUSH_SECONDS: '1', LAKE_FILE_MB: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    warnings.push(chunk.toString());
    process.stderr.write(chunk);
  });
  children.push(child);
  await eventually(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? true : undefined)), 60_000, 'the archive worker up');
  return child;
}
const kill = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
};

const topics = () => lakeTopicsOf(h.topics);

/** Whether the archive group has committed every archived topic to its end. */
async function caughtUp(): Promise<boolean> {
  return (await behind()).length === 0;
}

/** The partitions the archive group has not committed to their end: topic/partition committed/end. */
async function behind(): Promise<string[]> {
  const groupId = `${h.groupPrefix}.archive`;
  const out: string[] = [];
  for (const topic of Object.values(topics())) {
    const [ends, [committed]] = await Promise.all([h.admin.fetchTopicOffsets(topic), h.admin.fetchOffsets({ groupId, topics: [topic] })]);
    for (const end of ends) {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      if (end.high !== '0' && c !== end.high) out.push(`${topic}/${end.partition} ${c}/${end.high}`);
    }
  }
  return out;
}

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const lake = await openLake(lakeDir, topics());
  try {
    return (await lake.connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    lake.close();
  }
}

function lakeFiles(): Map<string, { sha: string; mtimeMs: number }> {
  const out = new Map<string, { sha: string; mtimeMs: number }>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else out.set(relative(lakeDir, path), { sha: createHash('sha256').update(readFileSync(path)).digest('hex'), mtimeMs: statSync(path).mtimeMs });
    }
  };
  walk(lakeDir);
  return out;
}

beforeAll(async () => {
  h = await createHarness('lake');
  lakeDir = h.env.LAKE_DIR!;
});
afterAll(async () => {
  for (const child of children) await kill(child);
  await h?.close();
});

describe('the lake', () => {
  it('holds every event of every archived topic exactly once after the archive worker is killed mid-stream', async () => {
    const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const send = (topic: string, messages: { key?: string; value: string; headers?: Record<string, string | Buffer> }[], compression = CompressionTypes.None) =>
      producer.send({ topic, acks: -1, messages, compression });

    const orderEvents = Array.from({ length: 30 }, (_, i) => ({
      type: 'order.event',
      version: 1,
      eventId: `lk-${run}-o${i}`,
      orderId: `lo-${i % 10}-${run}`,
      status: i % 3 === 0 ? 'cancelled' : 'created',
      ...(i % 3 === 0 ? { reason: 'customer asked' } : { dropoff: { lat: -23.5, lng: -46.6 } }),
      occurredAt: T0 + i,
    }));
    await send(h.topics.orderEvents, orderEvents.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })));
    // activity as app logs write it: extra fields, ts as a number or a numeric string
    const frames = Array.from({ length: 40 }, (_, i) => ({ uid: `u${i % 7}-${run}`, ts: i % 2 ? Math.floor(T0 / 1000) + i : String(Math.floor(T0 / 1000) + i), page: `/p/${i}` }));
    await send(h.topics.userActivity, frames.map((f) => ({ value: JSON.stringify(f) })));
    // a record that is no event stays out of its topic's files; its dead letter is archived with the reason
    await send(h.topics.courierLocations, [{ key: 'x', value: 'not json' }]);
    const dead = toDeadLetter({
      topic: h.topics.courierLocations,
      partition: 0,
      worker: 'location',
      message: { key: Buffer.from('x'), value: Buffer.from('not json'), offset: '0', timestamp: '0', attributes: 0, headers: {} },
      reason: 'value is not JSON',
    });
    await send(h.topics.deadLetters, [{ key: 'x', value: String(dead.value), headers: dead.headers }]);

    const first = await startArchive();
    const pings = Array.from({ length: PINGS }, (_, i) => ({
      type: 'courier.location',
      version: i % 2 ? 2 : 1,
      eventId: `lk-${run}-p${i}`,
      courierId: `lc${i % 20}-${run}`,
      lat: -23 - (i % 997) / 1e4,
      lng: -46 - (i % 991) / 1e4,
      occurredAt: T0 + i * 10,
      ...(i % 2 ? { batteryPct: i % 100, source: 'gps' } : { accuracyM: 5 }),
    }));
    // a steady stream of a few seconds, its last 150 pings held back until after the kill:
    // the kill always lands in it
    const HELD_BACK = 150;
    const produced = (async () => {
      for (let i = 0; i < PINGS - HELD_BACK; i += 150) {
        // some batches compressed (kafkajs decodes those; the archive worker reads plain ones undecoded)
        const compression = (i / 150) % 4 === 3 ? CompressionTypes.GZIP : CompressionTypes.None;
        await send(h.topics.courierLocations, pings.slice(i, i + 150).map((p) => ({ key: p.courierId, value: JSON.stringify(p) })), compression);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const pingsInLake = async () => Number((await query<{ n: number }>(`SELECT count(*)::INT AS n FROM pings`))[0]!.n);
    await eventually(async () => ((await pingsInLake()) > 0 ? true : undefined), 60_000, 'the first pings in the lake');
    await kill(first);
    const atKill = await pingsInLake();
    await produced;
    expect(atKill).toBeLessThanOrEqual(PINGS - HELD_BACK); // the kill landed before the end
    await send(h.topics.courierLocations, pings.slice(PINGS - HELD_BACK).map((p) => ({ key: p.courierId, value: JSON.stringify(p) })));

    await startArchive();
    await eventually(async () => ((await caughtUp()) ? true : undefined), 60_000, 'the archive to catch up');

    const counts = await query<{ n: number; events: number; records: number }>(`
      SELECT count(*)::INT AS n, count(DISTINCT "eventId")::INT AS events, count(DISTINCT (kafka_partition, kafka_offset))::INT AS records FROM pings`);
    expect(counts[0]).toEqual({ n: PINGS, events: PINGS, records: PINGS });
    // each ping as it was sent, v1 and v2 fields alike
    const some = await query(`SELECT "eventId", version, "courierId", lat, lng, "occurredAt", "accuracyM", "batteryPct", source FROM pings WHERE "eventId" IN ('lk-${run}-p0', 'lk-${run}-p1')  ORDER BY "eventId"`);
    expect(some).toEqual([
      { eventId: `lk-${run}-p0`, version: 1, courierId: pings[0]!.courierId, lat: pings[0]!.lat, lng: pings[0]!.lng, occurredAt: BigInt(pings[0]!.occurredAt), accuracyM: 5, batteryPct: null, source: null },
      { eventId: `lk-${run}-p1`, version: 2, courierId: pings[1]!.courierId, lat: pings[1]!.lat, lng: pings[1]!.lng, occurredAt: BigInt(pings[1]!.occurredAt), accuracyM: null, batteryPct: 1n, source: 'gps' },
    ]);
    const orders = await query<{ eventId: string; reason: string | null; dropoff: unknown }>(`SELECT "eventId", reason, dropoff FROM order_events ORDER BY "occurredAt"`);
    expect(orders.map((o) => o.eventId)).toEqual(orderEvents.map((e) => e.eventId));
    expect(orders[1]).toMatchObject({ reason: null, dropoff: { lat: -23.5, lng: -46.6 } });
    const activity = await query<{ uid: string; ts: number; page: string }>(`SELECT uid, ts, frame->>'page' AS page FROM activity ORDER BY ts`);
    expect(activity).toEqual(frames.map((f) => ({ uid: f.uid, ts: Number(f.ts), page: f.page })));
    const letters = await query(`SELECT value, reason, source_topic, worker FROM dead_letters`);
    expect(letters).toEqual([{ value: 'not json', reason: 'value is not JSON', source_topic: h.topics.courierLocations, worker: 'location' }]);
    // Hive folders: topic, date and hour of arrival
    const folders = await query<{ date: unknown; hour: number }>(`SELECT DISTINCT date::VARCHAR AS date, hour FROM pings`);
    expect(folders.length).toBeGreaterThan(0);
    const parts = [...lakeFiles().keys()].filter((k) => k.includes(h.topics.courierLocations));
    for (const path of parts) expect(path).toMatch(new RegExp(`^topic=${h.topics.courierLocations.replaceAll('.', '\\.')}/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/[^/]+-\\d+-\\d{20}-\\d{20}\\.parquet$`));

    // the plain batches were read undecoded, the fetches in place: the fast path is the one tested
    expect(warnings.join('')).not.toMatch(/decoded by kafkajs|decoded as usual|checked by ajv only/);
    await producer.disconnect();
  });

  it('rewrites identical files when the topics are replayed, from their start or from inside a file', async () => {
    for (const child of children) await kill(child, 'SIGTERM');
    const before = lakeFiles();
    expect(before.size).toBeGreaterThan(3);
    const groupId = `${h.groupPrefix}.archive`;
    for (const topic of Object.values(topics())) await h.admin.resetOffsets({ groupId, topic, earliest: true });
    // one partition resumes inside a file: the records before its resume point are in the lake already
    const [ends] = [await h.admin.fetchTopicOffsets(h.topics.courierLocations)];
    const busy = ends.find((p) => Number(p.high) > 100)!;
    await h.admin.setOffsets({ groupId, topic: h.topics.courierLocations, partitions: [{ partition: busy.partition, offset: '37' }] });

    await startArchive();
    await eventually(async () => ((await caughtUp()) ? true : undefined), 60_000, 'the replay to catch up').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await behind()).join(', ')}; files: ${[...lakeFiles().keys()].filter((k) => k.includes('locations-')).map((k) => k.split('/').pop()).join(' ')}`);
    });
    const after = lakeFiles();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, file] of after) expect(file.sha, path).toBe(before.get(path)!.sha);
    // rewritten, not merely left alone: the files from each replayed start were written again
    expect([...after].filter(([path, f]) => f.mtimeMs > before.get(path)!.mtimeMs).length).toBeGreaterThan(0);
    expect((await query<{ n: number }>(`SELECT count(*)::INT AS n FROM pings`))[0]!.n).toBe(PINGS);
  }, 120_000);

  it('answers SQL over the lake with npm run lake:sql', () => {
    const out = execFileSync('node_modules/.bin/tsx', ['scripts/lake-sql.ts', `SELECT "courierId", count(*) AS pings FROM pings GROUP BY 1 ORDER BY 1 LIMIT 2`], {
      env: { ...process.env, ...h.env },
      encoding: 'utf8',
    });
    expect(out.split('\n').slice(0, 4)).toEqual([
      'courierId  | pings',
      expect.stringMatching(/^-+-\+-+$/),
      `lc0-${run} | ${PINGS / 20}`,
      `lc1-${run} | ${PINGS / 20}`,
    ]);
    const csv = execFileSync('node_modules/.bin/tsx', ['scripts/lake-sql.ts', '--csv', `SELECT count(*) AS n FROM order_events`], { env: { ...process.env, ...h.env }, encoding: 'utf8' });
    expect(csv).toBe('n\n30\n');
  });
});
