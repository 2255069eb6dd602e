// Unique users per minute, hour, day and month through real Kafka, Redis and Postgres,
// compared with an oracle: every partition's frames, read back from the topic in offset
// order with their record timestamps and parsed by JSON.parse, classified by the definitions
// (a frame is late for a window once its partition's watermark has passed the window's end
// plus the allowed lateness; a frame moves the watermark by at most its record's time plus
// the tolerance), the in-time users of every partition counted once per window. And against
// the ground truth: a window without late frames has exactly the distinct users of the
// frames in it, whatever the producer's keys. The same figures must come out of one worker,
// of a worker killed with SIGKILL mid-stream and restarted, of two workers sharing the
// partitions, and of a worker whose Redis state is wiped mid-stream or belongs elsewhere.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type Message, Partitioners } from 'kafkajs';
import { activityFrames, exactUniqueUsers } from '../../lib/stats/activity-generator';
import { GRAINS, type WindowName, grainOf, windowBounds, windowEnd, windowStart } from '../../lib/stats/grains';
import { referenceUidTs } from '../../lib/stats/read-uid-ts';
import { rebuildStats } from '../../lib/stats/rebuild-stats';
import { statsPrefix, windowStore } from '../../lib/stats/window-store';
import { ensureTopics } from '../../lib/kafka/topics';
import { freePort } from '../../scripts/infra/proc';
import { createActivityWorker } from '../../workers/activity-worker';
import { type Harness, createHarness, eventually, topicSize } from './harness';

const LATENESS = 5;
const TOLERANCE = 10;
const IDLE_SEC = 1;
const EMIT_MS = 200;
const FRAMES = 12_000;
const STATS_ENV = {
  STATS_ALLOWED_LATENESS_SECONDS: String(LATENESS),
  STATS_FUTURE_TOLERANCE_SECONDS: String(TOLERANCE),
  STATS_PARTITION_IDLE_SECONDS: String(IDLE_SEC),
  STATS_EMIT_INTERVAL_MS: String(EMIT_MS),
};
const harnesses: Harness[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const h of harnesses) await h.close();
});

type Frame = { text: string; uid: string; ts: number };

/**
 * A stream crossing a UTC day (and so an hour) boundary, `monthsAgo` months back: each test
 * its own month, so no row (minute to month) of one test's windows meets another's.
 */
function stream(monthsAgo: number, frames = FRAMES) {
  const now = new Date();
  const month = new Date(0);
  month.setUTCFullYear(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 11);
  const startSec = month.getTime() / 1000 - 150;
  return [...activityFrames({ seed: monthsAgo, users: 2_000, frames, startSec, ratePerSec: 40, disorderSec: 3, lateFraction: 0.02, lateBySec: 90 })];
}

type Keying = 'uid' | 'none' | 'other';

interface ProduceOptions {
  pauseMs?: number;
  /** What the messages are keyed by: the uid, nothing (as kafka-console-producer sends), or something else. */
  key?: Keying;
  /** Each frame's record timestamp, ms (default: the producer's clock). */
  recordMs?: (f: Frame, i: number) => number;
  /** Frames from elsewhere that are not activity at all: dead-lettered, never counted. */
  garbage?: boolean;
}

async function produce(h: Harness, frames: Frame[], options: ProduceOptions = {}) {
  const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const keyOf = (f: Frame, i: number) => (options.key === 'none' ? null : options.key === 'other' ? `session-${i % 7}` : f.uid);
  for (let i = 0; i < frames.length; i += 300) {
    const messages: Message[] = frames.slice(i, i + 300).map((f, k) => ({
      key: keyOf(f, i + k),
      value: f.text,
      ...(options.recordMs ? { timestamp: String(options.recordMs(f, i + k)) } : {}),
    }));
    await producer.send({ topic: h.topics.userActivity, acks: -1, messages });
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  }
  if (options.garbage ?? true) {
    await producer.send({ topic: h.topics.userActivity, acks: -1, messages: [{ key: 'x', value: '{"uid":"x"' }, { key: 'y', value: '{"uid":"y","ts":"soon"}' }] });
  }
  await producer.disconnect();
}

type Figures = Map<string, { uniqueUsers: number; lateEvents: number; futureEvents: number }>;

/** Every message of a topic, in each partition's order. */
async function readTopic(h: Harness, topic: string) {
  const end = await h.admin.fetchTopicOffsets(topic);
  const perPartition = new Map<number, { value: Buffer | null; timestamp: string }[]>();
  const remaining = new Set(end.filter((p) => Number(p.high) > Number(p.low)).map((p) => p.partition));
  if (remaining.size === 0) return perPartition;
  const consumer = h.kafka.consumer({ groupId: `${h.groupPrefix}-oracle-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const list = perPartition.get(partition) ?? [];
        perPartition.set(partition, list);
        list.push({ value: message.value, timestamp: message.timestamp });
        if (Number(message.offset) + 1 >= Number(end.find((p) => p.partition === partition)!.high)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return perPartition;
}

/** The figures every window must end with, from the definitions. */
async function oracle(h: Harness): Promise<Figures> {
  const figures: Figures = new Map();
  const users = new Map<string, Set<string>>();
  const at = (key: string) => {
    let f = figures.get(key);
    if (!f) figures.set(key, (f = { uniqueUsers: 0, lateEvents: 0, futureEvents: 0 }));
    return f;
  };
  for (const messages of (await readTopic(h, h.topics.userActivity)).values()) {
    let watermark = -Infinity;
    for (const m of messages) {
      const frame = referenceUidTs(m.value!.toString('utf8'));
      if (!frame) continue;
      const bound = Number(m.timestamp) / 1000 + TOLERANCE;
      const bounds = windowBounds(windowStart('minute', frame.ts));
      GRAINS.forEach((g, r) => {
        const [start, end] = bounds[r]!;
        const key = `${g.window}:${start}`;
        const f = at(key);
        if (end + LATENESS <= watermark) f.lateEvents++;
        else {
          const set = users.get(key) ?? new Set();
          users.set(key, set.add(frame.uid));
          f.uniqueUsers = set.size;
        }
        if (frame.ts > bound) f.futureEvents++;
      });
      watermark = Math.max(watermark, Math.min(frame.ts, bound));
    }
  }
  return figures;
}

type Row = { uniqueUsers: number; lateEvents: number; futureEvents: number; final: boolean };

async function stored(h: Harness, frames: { ts: number }[]): Promise<Map<string, Row>> {
  // every window any frame falls in, from the start of the month of the earliest frame
  const earliest = Math.min(...frames.map((f) => f.ts));
  const latest = Math.max(...frames.map((f) => f.ts));
  const rows = new Map<string, Row>();
  for (const { window, table, column } of GRAINS) {
    const found = await h.db.$queryRawUnsafe<{ start: number; unique_users: number; late_events: number; future_events: number; final: boolean }[]>(
      `SELECT extract(epoch FROM ${column})::float8 AS start, unique_users, late_events, future_events, final FROM ${table}
        WHERE ${column} >= to_timestamp($1) AND ${column} <= to_timestamp($2)`,
      windowStart('month', earliest),
      latest,
    );
    for (const r of found) rows.set(`${window}:${r.start}`, { uniqueUsers: r.unique_users, lateEvents: r.late_events, futureEvents: r.future_events, final: r.final });
  }
  return rows;
}

/** The emitted windows as the stats topic carries them. */
async function emittedFinal(h: Harness) {
  const out: { key: string; uniqueUsers: number }[] = [];
  for (const messages of (await readTopic(h, h.topics.uniqueUsers)).values()) {
    for (const m of messages) {
      const w = JSON.parse(m.value!.toString()) as { window: WindowName; start: number; uniqueUsers: number; final: boolean };
      if (w.final) out.push({ key: `${w.window}:${w.start}`, uniqueUsers: w.uniqueUsers });
    }
  }
  return out;
}

/** Whether a window has ended, plus the lateness, by now: once a load is over the watermark follows the clock. */
function closedByNow(key: string): boolean {
  const [name, start] = key.split(':') as [WindowName, string];
  return windowEnd(grainOf(name).grain, Number(start)) + LATENESS <= Date.now() / 1000;
}

/**
 * Waits until Postgres holds every window with the oracle's figures, final unless it has not
 * ended yet (the load is over: the watermark follows the clock), then checks them against
 * the ground truth, and that no window was ever emitted final with other users than its last.
 */
async function expectFiguresMatch(h: Harness, frames: Frame[], options: { lateExpected?: boolean; futureExpected?: boolean; emittedFinalOnce?: boolean } = {}) {
  const figures = await oracle(h);
  expect([...figures.keys()].filter((key) => key.startsWith('m:')).length).toBeGreaterThan(2);
  for (const g of GRAINS) expect([...figures.keys()].some((key) => key.startsWith(`${g.window}:`)), g.grain).toBe(true);
  const rows = await eventually(
    async () => {
      const r = await stored(h, frames);
      return [...figures].every(([key, f]) => {
        const row = r.get(key);
        return row && row.final === closedByNow(key) && row.uniqueUsers === f.uniqueUsers && row.lateEvents === f.lateEvents && row.futureEvents === f.futureEvents;
      })
        ? r
        : undefined;
    },
    60_000,
    'every window stored with the oracle figures, final once ended',
  ).catch(async (err: unknown) => {
    const r = await stored(h, frames);
    const wrong = [...figures].filter(([key, f]) => JSON.stringify(r.get(key)) !== JSON.stringify({ ...f, final: closedByNow(key) })).slice(0, 5);
    throw new Error(`${String(err)}; e.g. ${JSON.stringify(wrong.map(([key, f]) => ({ key, expected: f, stored: r.get(key) })))}`);
  });
  // nothing stored that the oracle does not know
  for (const key of rows.keys()) expect(figures.has(key), key).toBe(true);

  // against the exact ground truth of all frames: windows without late events are equal
  for (const g of GRAINS) {
    const truth = exactUniqueUsers(frames, g.grain);
    for (const [key, f] of figures) {
      if (key.startsWith(`${g.window}:`) && f.lateEvents === 0) expect(f.uniqueUsers, key).toBe(truth.get(Number(key.split(':')[1])));
    }
  }
  const minutes = [...figures].filter(([key]) => key.startsWith('m:'));
  if (options.lateExpected ?? true) expect(minutes.reduce((n, [, f]) => n + f.lateEvents, 0)).toBeGreaterThan(50);
  if (!options.futureExpected) expect(minutes.reduce((n, [, f]) => n + f.futureEvents, 0)).toBe(0);
  // an undercount is never emitted as final (unless the test closed windows on purpose before more frames came)
  // (windows of frames the topic no longer holds, after it was created again, are not judged)
  if (options.emittedFinalOnce ?? true) for (const w of (await emittedFinal(h)).filter((e) => figures.has(e.key))) expect(w.uniqueUsers, `${w.key} emitted final`).toBe(figures.get(w.key)?.uniqueUsers);
  return figures;
}

async function startWorkerProcess(h: Harness) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts', 'activity'], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'warn', WORKER_HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await eventually(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? true : undefined)), 60_000, 'activity worker up');
  return child;
}

const storeOf = (h: Harness) => windowStore(h.redis, statsPrefix(h.topics.userActivity));

/** Frames applied so far in the current epoch, over the 3 partitions. */
const applied = async (h: Harness) => {
  const store = storeOf(h);
  const { epoch } = await store.meta();
  if (!epoch) return 0;
  let n = 0;
  for (let p = 0; p < 3; p++) n += (await store.partitionState(epoch, p)).offset + 1;
  return n;
};

/** Runs a worker until the group's commits reach the end of the topic, and a few emitter ticks after. */
async function replayToEnd(h: Harness) {
  const worker = await createActivityWorker(h.as('activity'));
  try {
    const end = await h.admin.fetchTopicOffsets(h.topics.userActivity);
    await eventually(async () => {
      const [committed] = await h.admin.fetchOffsets({ groupId: `${h.groupPrefix}.activity`, topics: [h.topics.userActivity] });
      return committed!.partitions.every((p) => p.offset === end.find((e) => e.partition === p.partition)!.high) ? true : undefined;
    }, 30_000, 'the replay to reach the end');
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await worker.stop();
  }
}

async function harness(name: string) {
  const h = await createHarness(name, STATS_ENV);
  harnesses.push(h);
  return h;
}

describe('unique users', () => {
  it('counts frames keyed by uid exactly, with late events counted as late, and dead-letters garbage', async () => {
    const h = await harness('uu');
    const frames = stream(1);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames);
      await expectFiguresMatch(h, frames);
      await eventually(async () => ((await topicSize(h.admin, h.topics.deadLetters)) === 2 ? true : undefined), 20_000, 'two frames dead-lettered');
      // as they were sent: key, value, and where they came from
      const consumer = h.kafka.consumer({ groupId: `${h.groupPrefix}-dlq` });
      await consumer.connect();
      await consumer.subscribe({ topic: h.topics.deadLetters, fromBeginning: true });
      const dead: { key?: string; value?: string; source?: string }[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          dead.push({ key: message.key?.toString(), value: message.value?.toString(), source: `${message.headers?.['dlq-source-topic']}` });
        },
      });
      await eventually(async () => (dead.length === 2 ? true : undefined), 20_000, 'the dead letters read back');
      await consumer.disconnect();
      expect(dead.sort((a, b) => (a.key! < b.key! ? -1 : 1))).toEqual([
        { key: 'x', value: '{"uid":"x"', source: h.topics.userActivity },
        { key: 'y', value: '{"uid":"y","ts":"soon"}', source: h.topics.userActivity },
      ]);
      // the windows went to the stats topic too, keyed by window
      expect(await topicSize(h.admin, h.topics.uniqueUsers)).toBeGreaterThan(5);
      // memory stays bounded: the user sets of closed windows are released; at most the
      // month's (not over yet) is left
      const { epoch } = await storeOf(h).meta();
      const open = windowBounds(windowStart('minute', frames[0]!.ts)).filter(([, end]) => end + LATENESS > Date.now() / 1000).length;
      expect(open).toBeLessThanOrEqual(1);
      await eventually(async () => ((await h.redis.keys(`${statsPrefix(h.topics.userActivity)}${epoch}:u:*`)).length <= open ? true : undefined), 10_000, 'the user sets released');
    } finally {
      await worker.stop();
    }

    // Lose the commits and replay the topic from the start: nothing may count twice.
    const before = await stored(h, frames);
    await h.admin.resetOffsets({ groupId: `${h.groupPrefix}.activity`, topic: h.topics.userActivity, earliest: true });
    await replayToEnd(h);
    expect(await stored(h, frames)).toEqual(before);

    // Lose Redis too (npm run stats:rebuild): the recount gives the same figures.
    const store = storeOf(h);
    const live = () => store.live([...before.keys()].map((k) => ({ window: k.split(':')[0] as WindowName, start: Number(k.split(':')[1]) })));
    const liveBefore = await live();
    const epochBefore = (await store.meta()).epoch;
    const { keysDeleted } = await rebuildStats({ admin: h.admin, redis: h.redis, groupId: `${h.groupPrefix}.activity`, topic: h.topics.userActivity });
    expect(keysDeleted).toBeGreaterThan(10);
    expect((await store.meta()).epoch).not.toBe(epochBefore);
    await replayToEnd(h);
    expect(await stored(h, frames)).toEqual(before);
    expect(await live()).toEqual(liveBefore);
  }, 120_000);

  it('counts unkeyed frames (as kafka-console-producer sends them) exactly, closes the last windows by the clock, and counts a frame after them as late', async () => {
    const h = await harness('uu-unkeyed');
    const frames = stream(2);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames, { key: 'none' });
      // every partition took a share of the frames: a user's frames are spread over them
      const ends = await h.admin.fetchTopicOffsets(h.topics.userActivity);
      expect(ends.every((p) => Number(p.high) > FRAMES / 6)).toBe(true);
      await eventually(async () => ((await applied(h)) === FRAMES + 2 ? true : undefined), 60_000, 'every frame applied');
      const caughtUp = Date.now();
      const figures = await expectFiguresMatch(h, frames);
      // the last minute, hour, day and month were final within idle + lateness + emit interval
      // of the worker catching up (the figures above are all final; here, how soon)
      const last = Math.max(...frames.map((f) => f.ts));
      const lastWindows = windowBounds(windowStart('minute', last)).map(([start], r) => `${GRAINS[r]!.window}:${start}`);
      const rows = await stored(h, frames);
      for (const key of lastWindows) expect(rows.get(key)?.final, key).toBe(closedByNow(key));
      const finalAt = await h.db.$queryRawUnsafe<{ at: Date }[]>(
        `SELECT max(updated_at) AS at FROM unique_users_minute WHERE minute = to_timestamp($1)`,
        Number(lastWindows[0]!.split(':')[1]),
      );
      expect(finalAt[0]!.at.getTime() - caughtUp).toBeLessThan((IDLE_SEC + LATENESS) * 1000 + EMIT_MS + 1_000);

      // a frame for the last minute now is late, for it and for every window that closed
      const [lastMinute] = lastWindows;
      const before = figures.get(lastMinute!)!;
      const text = JSON.stringify({ uid: 'newcomer', ts: last });
      await produce(h, [{ text, uid: 'newcomer', ts: last }], { key: 'none', garbage: false });
      await eventually(async () => {
        const row = (await stored(h, frames)).get(lastMinute!);
        return row?.lateEvents === before.lateEvents + 1 ? row : undefined;
      }, 20_000, 'the later frame counted as late');
      expect((await stored(h, frames)).get(lastMinute!)).toMatchObject({ uniqueUsers: before.uniqueUsers, final: true });
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('gives exact figures for a stream loaded as the Doodle challenge loads it: kafka-console-producer, no key', async () => {
    const h = await harness('uu-console');
    const frames = stream(10, 4_000);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      // the README's instructions: cat stream.jsonl | npm run kafka:console-producer
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/kafka-console-producer.ts'], { env: { ...process.env, ...h.env }, stdio: ['pipe', 'ignore', 'inherit'] });
      child.stdin!.end(`${frames.map((f) => f.text).join('\n')}\n`);
      expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
      expect(await topicSize(h.admin, h.topics.userActivity)).toBe(frames.length);
      await expectFiguresMatch(h, frames);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('counts frames keyed by something else than the uid exactly', async () => {
    const h = await harness('uu-miskeyed');
    const frames = stream(3, 6_000);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames, { key: 'other' });
      await expectFiguresMatch(h, frames);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('lets no frame from the future drag the watermark: the real stream stays in time, and the future frames are counted', async () => {
    const h = await harness('uu-future');
    // record timestamps as a live load would have them: each frame's own time, a second after
    const real = stream(4, 6_000).map((f) => ({ ...f, recordMs: (Math.floor(f.ts) + 1) * 1000 }));
    // a handful of clients dated five minutes ahead, early in the stream
    const ahead = Array.from({ length: 12 }, (_, i) => {
      const host = real[200 + i * 10]!;
      const ts = host.recordMs / 1000 + 300;
      return { text: JSON.stringify({ uid: `ahead-${i}`, ts }), uid: `ahead-${i}`, ts, recordMs: host.recordMs };
    });
    const frames = [...real.slice(0, 200), ...ahead, ...real.slice(200)];
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames, { recordMs: (f) => (f as (typeof frames)[number]).recordMs });
      const figures = await expectFiguresMatch(h, frames, { futureExpected: true });
      const minuteOf = (ts: number) => `m:${windowStart('minute', ts)}`;
      const futureMinutes = new Set(ahead.map((f) => minuteOf(f.ts)));
      let future = 0;
      for (const key of futureMinutes) future += figures.get(key)!.futureEvents;
      expect(future).toBe(ahead.length);
      // the real frames stay in time: the only late ones are the generator's own, sent 90 s
      // late (had the future frames moved the watermark 5 minutes ahead, thousands would be)
      let newest = -Infinity;
      let lateByDesign = 0;
      for (const f of real) {
        if (f.ts < newest - 60) lateByDesign++;
        newest = Math.max(newest, f.ts);
      }
      const late = [...figures].filter(([key]) => key.startsWith('m:')).reduce((n, [, f]) => n + f.lateEvents, 0);
      expect(lateByDesign).toBeGreaterThan(50);
      expect(late).toBeGreaterThanOrEqual(lateByDesign / 2);
      expect(late).toBeLessThanOrEqual(lateByDesign + 5);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('refuses a batch classified against a partition state that has moved on, or for an epoch that is not current', async () => {
    const h = await harness('uu-fence');
    const store = storeOf(h);
    const epoch = await store.renewEpoch(null, 'test');
    const from = await store.partitionState(epoch, 0);
    const batch = { partition: 0, epoch, from, offset: 9, watermark: 1_800_000_030, groups: [{ level: 1, minute: 1_800_000_000 - 60, frames: 1, future: 0, uids: ['a'] }] };
    expect(await store.apply(LATENESS, batch)).toEqual({ ok: true });
    // a second pass over the same frames (a replay, or another worker after a rebalance)
    expect(await store.apply(LATENESS, batch)).toEqual({ ok: false, state: { offset: 9, watermark: 1_800_000_030 } });
    const [figures] = await store.live([{ window: 'm', start: 1_800_000_000 - 60 }]);
    expect(figures).toMatchObject({ uniqueUsers: 0, lateEvents: 1 });
    // a batch read for an older epoch (a recount began meanwhile), or after Redis lost the state
    const next = await store.renewEpoch(epoch, 'test');
    expect(await store.apply(LATENESS, { ...batch, offset: 19, from: { offset: 9, watermark: 1_800_000_030 } })).toEqual({ ok: false, epoch: next });
    await h.redis.del(`${statsPrefix(h.topics.userActivity)}meta`);
    expect(await store.apply(LATENESS, { ...batch, epoch: next, from: { offset: -1, watermark: -Infinity } })).toEqual({ ok: false, epoch: null });
  });

  it('takes uids joined by newlines or listed (a uid may hold a newline), and counts late events per frame', async () => {
    const h = await harness('uu-groups');
    const store = storeOf(h);
    const epoch = await store.renewEpoch(null, 'test');
    const minute = 1_800_000_000;
    const groups = [
      { level: 0, minute, frames: 3, future: 0, uids: ['a', 'b'] },
      { level: 0, minute, frames: 2, future: 1, uids: ['line\nbreak', 'b', 'c'] }, // sent listed, not joined
      { level: 1, minute: minute - 60, frames: 5, future: 0, uids: ['d'] },
    ];
    const from = await store.partitionState(epoch, 0);
    expect(await store.apply(LATENESS, { partition: 0, epoch, from, offset: 4, watermark: minute + 30, groups })).toEqual({ ok: true });
    // another partition's frames join the same sets
    const other = [{ level: 0, minute, frames: 2, future: 0, uids: ['a', 'e'] }];
    expect(await store.apply(LATENESS, { partition: 1, epoch, from, offset: 1, watermark: minute + 20, groups: other })).toEqual({ ok: true });
    const figures = await store.live([
      { window: 'm', start: minute },
      { window: 'm', start: minute - 60 },
      { window: 'h', start: minute }, // minute starts an hour
      { window: 'h', start: minute - 3600 },
      { window: 'mo', start: windowStart('month', minute) },
    ]);
    expect(figures.map((f) => [f.uniqueUsers, f.lateEvents, f.futureEvents])).toEqual([
      [5, 0, 1], // a, b, c, e and the uid with a newline in it
      [0, 5, 0], // late for its minute: five frames, one user
      [5, 0, 1],
      [1, 0, 0], // the late frames' user, in time for its hour
      [6, 0, 1], // the month has them all
    ]);
    expect(grainOf('mo').grain).toBe('month');
  });

  it('gives the same figures after a worker is killed with SIGKILL mid-stream and restarted (unkeyed input)', async () => {
    const h = await harness('uu-kill');
    const frames = stream(5);
    const first = await startWorkerProcess(h);
    // the last frames are held back until after the kill: it always lands mid-stream
    const heldBack = 300;
    const producing = produce(h, frames.slice(0, -heldBack), { pauseMs: 40, key: 'none', garbage: false });
    await eventually(async () => ((await applied(h)) >= FRAMES / 4 ? true : undefined), 60_000, 'the first worker to make progress');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await applied(h)).toBeLessThanOrEqual(FRAMES - heldBack);
    await producing;
    await produce(h, frames.slice(-heldBack), { key: 'none' });
    await startWorkerProcess(h);
    await expectFiguresMatch(h, frames);
  }, 180_000);

  it('when a batch cannot be applied, fetches it again until it can, skipping nothing', async () => {
    const h = await harness('uu-fail');
    const frames = stream(6);
    const store = storeOf(h);
    const epoch = await store.renewEpoch(null, (await h.admin.describeCluster()).clusterId);
    // partition 0's state key holds a string: every script call on it fails (WRONGTYPE)
    const state0 = `${statsPrefix(h.topics.userActivity)}${epoch}:p0`;
    await h.redis.set(state0, 'in the way');
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames);
      // the other partitions go on meanwhile; partition 0 keeps failing and nothing of it counts
      await eventually(async () => {
        const states = await Promise.all([1, 2].map((p) => store.partitionState(epoch, p)));
        return states.every((st) => st.offset > 0) ? true : undefined;
      }, 60_000, 'partitions 1 and 2 applied');
      expect(await h.redis.get(state0)).toBe('in the way');
      // nothing is final while partition 0's frames are unread
      expect((await stored(h, frames)).size).toBe(0);
      await h.redis.del(state0);
      await expectFiguresMatch(h, frames);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it('gives the same figures with two workers sharing the partitions (mis-keyed input)', async () => {
    const h = await harness('uu-two');
    const frames = stream(7);
    await Promise.all([startWorkerProcess(h), startWorkerProcess(h)]);
    await eventually(async () => {
      const [group] = (await h.admin.describeGroups([`${h.groupPrefix}.activity`])).groups;
      return group?.state === 'Stable' && group.members.length === 2 ? true : undefined;
    }, 60_000, 'both workers in the group');
    await produce(h, frames, { pauseMs: 10, key: 'other' });
    await expectFiguresMatch(h, frames);
  }, 180_000);

  it('recounts from Kafka on its own when Redis loses the state mid-stream, marking no undercount final', async () => {
    const h = await harness('uu-wipe');
    const frames = stream(8);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      const producing = produce(h, frames, { pauseMs: 40, key: 'none' });
      await eventually(async () => ((await applied(h)) >= FRAMES / 3 ? true : undefined), 60_000, 'a third applied');
      // some windows are final already; then every key of the state is gone (a Redis restart without persistence)
      await eventually(async () => ((await stored(h, frames)).size > 2 ? true : undefined), 30_000, 'windows emitted');
      const epochBefore = (await storeOf(h).meta()).epoch;
      const keys = await h.redis.keys(`${statsPrefix(h.topics.userActivity).replace(/[*?[\]\\]/g, '\\$&')}*`);
      await h.redis.del(...keys);
      await producing;
      const figures = await expectFiguresMatch(h, frames);
      expect(figures.size).toBeGreaterThan(10);
      const { epoch } = await storeOf(h).meta();
      expect(epoch).not.toBeNull();
      expect(epoch).not.toBe(epochBefore);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it('recounts when the state belongs to another topic incarnation (offsets past the end) or another Kafka cluster', async () => {
    const h = await harness('uu-foreign');
    const first = stream(9, 3_000);
    await produce(h, first, { key: 'none' });
    await replayToEnd(h);
    const store = storeOf(h);
    const { epoch } = await store.meta();
    // as if the topic had been created again under a kept Redis: partition 1's state is far past its end
    await h.redis.hset(`${statsPrefix(h.topics.userActivity)}${epoch}:p1`, 'offset', '18115');
    const second = stream(9, 6_000).slice(3_000);
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, second, { key: 'none' });
      // the first load's windows closed (by the clock) before the rest came: they were final with its frames alone
      await expectFiguresMatch(h, [...first, ...second], { emittedFinalOnce: false });
      expect((await store.meta()).epoch).not.toBe(epoch);
    } finally {
      await worker.stop();
    }
    // state counted on another cluster: recounted (every frame applied again in a new epoch), same figures
    const all = [...first, ...second];
    const before = await stored(h, all);
    const renamed = (await store.meta()).epoch;
    await h.redis.hset(`${statsPrefix(h.topics.userActivity)}meta`, 'cluster', 'another-cluster');
    const again = await createActivityWorker(h.as('activity'));
    try {
      await eventually(async () => ((await store.meta()).epoch !== renamed && (await applied(h)) === all.length + 4 ? true : undefined), 60_000, 'every frame applied again');
      expect((await store.meta()).cluster).toBe((await h.admin.describeCluster()).clusterId);
      await expectFiguresMatch(h, all, { emittedFinalOnce: false });
      expect(await stored(h, all)).toEqual(before);
    } finally {
      await again.stop();
    }
  }, 180_000);

  it('recounts when the topic was created again, even holding more frames than the state had applied', async () => {
    const h = await harness('uu-recreated');
    const first = stream(11, 3_000);
    await produce(h, first, { key: 'none' });
    await replayToEnd(h);
    const store = storeOf(h);
    const { epoch } = await store.meta();
    // the topic deleted and created again (Kafka deletes its commits with it), then loaded
    // with twice as many frames: every state offset is inside the new partitions
    await h.admin.deleteTopics({ topics: [h.topics.userActivity] });
    await eventually(async () => ((await h.admin.listTopics()).includes(h.topics.userActivity) ? undefined : true), 30_000, 'the topic deleted');
    await eventually(async () => {
      try {
        await ensureTopics(h.admin, h.env.KAFKA_TOPIC_PREFIX!, 3);
        return (await h.admin.listTopics()).includes(h.topics.userActivity) ? true : undefined;
      } catch {
        return undefined; // still being deleted
      }
    }, 30_000, 'the topic created again');
    const second = stream(12, 6_000);
    await produce(h, second, { key: 'none' });
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await expectFiguresMatch(h, second);
      expect((await store.meta()).epoch).not.toBe(epoch);
    } finally {
      await worker.stop();
    }
  }, 180_000);
});
