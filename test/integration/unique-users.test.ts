// Unique users per minute, hour and day through real Kafka, Redis and Postgres, compared
// with an oracle: each partition's frames, read back from the topic in offset order and
// parsed by JSON.parse, fed to the reference TumblingWindows. The same figures must come out
// of one worker, of a worker killed with SIGKILL mid-stream and restarted, and of two
// workers sharing the partitions.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { exactUniqueUsersPerMinute, activityFrames } from '../../lib/stats/activity-generator';
import { WINDOWS, type WindowName } from '../../lib/stats/classify-activity';
import { referenceUidTs } from '../../lib/stats/read-uid-ts';
import { TumblingWindows } from '../../lib/stats/tumbling-windows';
import { rebuildStats } from '../../lib/stats/rebuild-stats';
import { applyBatch, liveFigures, readPartitionState, statsPrefix } from '../../lib/stats/window-store';
import { freePort } from '../../scripts/infra/proc';
import { createActivityWorker } from '../../workers/activity-worker';
import { type Harness, createHarness, eventually, topicSize } from './harness';

const LATENESS = 5;
const FRAMES = 12_000;
const STATS_ENV = { STATS_ALLOWED_LATENESS_SECONDS: String(LATENESS), STATS_PARTITION_IDLE_SECONDS: '1', STATS_EMIT_INTERVAL_MS: '200' };
const DAY = 86_400;
const harnesses: Harness[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const h of harnesses) await h.close();
});

/** A stream crossing a UTC day (and so an hour) boundary; each test its own day, so rows never meet. */
function stream(day: number) {
  const startSec = Math.floor(Date.now() / 1000 / DAY) * DAY - day * DAY - 150;
  return [...activityFrames({ seed: day, users: 2_000, frames: FRAMES, startSec, ratePerSec: 40, disorderSec: 3, lateFraction: 0.02, lateBySec: 90 })];
}

async function produce(h: Harness, frames: { text: string; uid: string }[], pauseMs = 0) {
  const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < frames.length; i += 300) {
    await producer.send({ topic: h.topics.userActivity, acks: -1, messages: frames.slice(i, i + 300).map((f) => ({ key: f.uid, value: f.text })) });
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  // frames from elsewhere that are not activity at all: dead-lettered, never counted
  await producer.send({ topic: h.topics.userActivity, acks: -1, messages: [{ key: 'x', value: '{"uid":"x"' }, { key: 'y', value: '{"uid":"y","ts":"soon"}' }] });
  await producer.disconnect();
}

type Figures = Map<string, { uniqueUsers: number; lateEvents: number }>;

/** Reads every partition back in offset order and runs the reference windows over each. */
async function oracle(h: Harness): Promise<{ figures: Figures; watermark: number }> {
  const end = await h.admin.fetchTopicOffsets(h.topics.userActivity);
  const consumer = h.kafka.consumer({ groupId: `${h.groupPrefix}-oracle-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: h.topics.userActivity, fromBeginning: true });
  const perPartition = new Map<number, { uid: string; ts: number }[]>();
  const remaining = new Set(end.filter((p) => Number(p.high) > 0).map((p) => p.partition));
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const frame = referenceUidTs(message.value!.toString('utf8'));
        if (frame) {
          const list = perPartition.get(partition);
          if (list) list.push(frame);
          else perPartition.set(partition, [frame]);
        }
        if (Number(message.offset) + 1 >= Number(end.find((p) => p.partition === partition)!.high)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();

  const figures: Figures = new Map();
  let watermark = -Infinity;
  for (const frames of perPartition.values()) {
    for (const w of WINDOWS) {
      const windows = new TumblingWindows(LATENESS, w.sizeSec, 100 * DAY);
      for (const f of frames) windows.add(f.uid, f.ts);
      watermark = Math.max(watermark, windows.currentWatermark);
      windows.add('flush', windows.currentWatermark + 10 * DAY);
      for (const u of windows.drain()) {
        if (u.start > windows.currentWatermark - 5 * DAY) continue; // the flush's own window
        const key = `${w.name}:${u.start}`;
        const sum = figures.get(key) ?? { uniqueUsers: 0, lateEvents: 0 };
        figures.set(key, { uniqueUsers: sum.uniqueUsers + u.uniqueUsers, lateEvents: sum.lateEvents + u.lateEvents });
      }
    }
  }
  return { figures, watermark };
}

async function stored(h: Harness, frames: { ts: number }[]): Promise<Map<string, { uniqueUsers: number; lateEvents: number; final: boolean }>> {
  // from the start of the day of the earliest frame to the latest frame
  const earliest = Math.min(...frames.map((f) => f.ts));
  const from = new Date((earliest - (earliest % DAY)) * 1000);
  const to = new Date((Math.max(...frames.map((f) => f.ts)) + 1) * 1000);
  const rows = new Map<string, { uniqueUsers: number; lateEvents: number; final: boolean }>();
  const add = (name: WindowName, start: Date, r: { uniqueUsers: number; lateEvents: number; final: boolean }) =>
    rows.set(`${name}:${start.getTime() / 1000}`, { uniqueUsers: r.uniqueUsers, lateEvents: r.lateEvents, final: r.final });
  for (const r of await h.db.uniqueUsersMinute.findMany({ where: { minute: { gte: from, lt: to } } })) add('m', r.minute, r);
  for (const r of await h.db.uniqueUsersHour.findMany({ where: { hour: { gte: from, lt: to } } })) add('h', r.hour, r);
  for (const r of await h.db.uniqueUsersDay.findMany({ where: { day: { gte: from, lt: to } } })) add('d', r.day, r);
  return rows;
}

/** Waits until Postgres holds every window the watermark has passed, then compares exactly. */
async function expectFiguresMatch(h: Harness, frames: { uid: string; ts: number }[]) {
  const { figures, watermark } = await oracle(h);
  const due = [...figures].filter(([key]) => {
    const [name, start] = key.split(':') as [WindowName, string];
    return Number(start) + WINDOWS.find((w) => w.name === name)!.sizeSec <= watermark;
  });
  expect(due.filter(([key]) => key.startsWith('m:')).length).toBeGreaterThan(4);
  expect(due.some(([key]) => key.startsWith('h:'))).toBe(true);
  const rows = await eventually(async () => {
    const r = await stored(h, frames);
    return due.every(([key, f]) => r.get(key)?.uniqueUsers === f.uniqueUsers && r.get(key)?.lateEvents === f.lateEvents) ? r : undefined;
  }, 60_000, 'every due window stored with the oracle figures');
  for (const [key, f] of due) {
    const [name, start] = key.split(':') as [WindowName, string];
    const size = WINDOWS.find((w) => w.name === name)!.sizeSec;
    expect(rows.get(key), key).toEqual({ ...f, final: Number(start) + size + LATENESS <= watermark });
  }
  // nothing stored that the oracle does not know
  for (const key of rows.keys()) expect(figures.has(key), key).toBe(true);

  // against the exact ground truth of all frames: minutes without late events are equal, and
  // late events exist and are counted, not dropped
  const truth = exactUniqueUsersPerMinute(frames);
  const minutes = due.filter(([key]) => key.startsWith('m:'));
  expect(minutes.reduce((n, [, f]) => n + f.lateEvents, 0)).toBeGreaterThan(50);
  for (const [key, f] of minutes) if (f.lateEvents === 0) expect(f.uniqueUsers, key).toBe(truth.get(Number(key.slice(2))));
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

const applied = async (h: Harness) => {
  let n = 0;
  for (let p = 0; p < 3; p++) n += (await readPartitionState(h.redis, statsPrefix(h.topics.userActivity), p)).offset + 1;
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
  it('counts every window exactly, with late events counted as late, and dead-letters garbage', async () => {
    const h = await harness('uu');
    const frames = stream(3);
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
      // memory stays bounded: the user sets of closed windows are gone; per partition, only
      // the minute, hour and day the watermark is still in (or within the lateness of) remain
      const sets = await h.redis.keys(`${statsPrefix(h.topics.userActivity)}p*:u:*`);
      expect(sets.length).toBeGreaterThan(0);
      expect(sets.length).toBeLessThanOrEqual(3 * 4);
    } finally {
      await worker.stop();
    }

    // Lose the commits and replay the topic from the start: nothing may count twice.
    const before = await stored(h, frames);
    await h.admin.resetOffsets({ groupId: `${h.groupPrefix}.activity`, topic: h.topics.userActivity, earliest: true });
    await replayToEnd(h);
    expect(await stored(h, frames)).toEqual(before);

    // Lose Redis too (npm run stats:rebuild): the recount gives the same figures.
    const prefix = statsPrefix(h.topics.userActivity);
    const live = () => liveFigures(h.redis, prefix, [...before.keys()].map((k) => ({ window: k[0] as WindowName, start: Number(k.slice(2)) })));
    const liveBefore = await live();
    const { keysDeleted } = await rebuildStats({ admin: h.admin, redis: h.redis, groupId: `${h.groupPrefix}.activity`, topic: h.topics.userActivity });
    expect(keysDeleted).toBeGreaterThan(10);
    await replayToEnd(h);
    expect(await stored(h, frames)).toEqual(before);
    expect(await live()).toEqual(liveBefore);
  }, 120_000);


  it('refuses a batch classified against a partition state that has moved on', async () => {
    const h = await harness('uu-fence');
    const prefix = statsPrefix(h.topics.userActivity);
    const from = await readPartitionState(h.redis, prefix, 0);
    const batch = { partition: 0, from, offset: 9, watermark: 1_800_000_030, groups: [{ level: 1, minute: 1_800_000_000 - 60, frames: 1, uids: ['a'] }] };
    expect(await applyBatch(h.redis, prefix, LATENESS, batch)).toEqual({ ok: true });
    // a second pass over the same frames (a replay, or another worker after a rebalance)
    expect(await applyBatch(h.redis, prefix, LATENESS, batch)).toEqual({ ok: false, state: { offset: 9, watermark: 1_800_000_030 } });
    const [figures] = await liveFigures(h.redis, prefix, [{ window: 'm', start: 1_800_000_000 - 60 }]);
    expect(figures).toMatchObject({ uniqueUsers: 0, lateEvents: 1 });
  });

  it('takes uids joined by newlines or listed (a uid may hold a newline), and counts late events per frame', async () => {
    const h = await harness('uu-groups');
    const prefix = statsPrefix(h.topics.userActivity);
    const minute = 1_800_000_000;
    const groups = [
      { level: 0, minute, frames: 3, uids: ['a', 'b'] },
      { level: 0, minute, frames: 2, uids: ['line\nbreak', 'b', 'c'] }, // sent listed, not joined
      { level: 1, minute: minute - 60, frames: 5, uids: ['d'] },
    ];
    const from = await readPartitionState(h.redis, prefix, 0);
    expect(await applyBatch(h.redis, prefix, LATENESS, { partition: 0, from, offset: 4, watermark: minute + 30, groups })).toEqual({ ok: true });
    const figures = await liveFigures(h.redis, prefix, [
      { window: 'm', start: minute },
      { window: 'm', start: minute - 60 },
      { window: 'h', start: minute }, // minute starts an hour
      { window: 'h', start: minute - 3600 },
    ]);
    expect(figures.map((f) => [f.uniqueUsers, f.lateEvents])).toEqual([
      [4, 0], // a, b, c and the uid with a newline in it
      [0, 5], // late for its minute: five frames, one user
      [4, 0],
      [1, 0], // the late frames' user, in time for its hour
    ]);
  });

  it('gives the same figures after a worker is killed with SIGKILL mid-stream and restarted', async () => {
    const h = await harness('uu-kill');
    const frames = stream(6);
    const first = await startWorkerProcess(h);
    const producing = produce(h, frames, 40);
    await eventually(async () => ((await applied(h)) >= FRAMES / 4 ? true : undefined), 60_000, 'the first worker to make progress');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await applied(h)).toBeLessThan(FRAMES);
    await producing;
    await startWorkerProcess(h);
    await expectFiguresMatch(h, frames);
  }, 180_000);

  it('when a batch cannot be applied, fetches it again until it can, skipping nothing', async () => {
    const h = await harness('uu-fail');
    const frames = stream(12);
    // partition 0's state key holds a string: every script call on it fails (WRONGTYPE)
    const state0 = `${statsPrefix(h.topics.userActivity)}p0`;
    await h.redis.set(state0, 'in the way');
    const worker = await createActivityWorker(h.as('activity'));
    try {
      await produce(h, frames);
      // the other partitions go on meanwhile; partition 0 keeps failing and nothing of it counts
      await eventually(async () => {
        const states = await Promise.all([1, 2].map((p) => readPartitionState(h.redis, statsPrefix(h.topics.userActivity), p)));
        return states.every((st) => st.offset > 0) ? true : undefined;
      }, 60_000, 'partitions 1 and 2 applied');
      expect(await h.redis.get(state0)).toBe('in the way');
      await h.redis.del(state0);
      await expectFiguresMatch(h, frames);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it('gives the same figures with two workers sharing the partitions', async () => {
    const h = await harness('uu-two');
    const frames = stream(9);
    await Promise.all([startWorkerProcess(h), startWorkerProcess(h)]);
    await eventually(async () => {
      const [group] = (await h.admin.describeGroups([`${h.groupPrefix}.activity`])).groups;
      return group?.state === 'Stable' && group.members.length === 2 ? true : undefined;
    }, 60_000, 'both workers in the group');
    await produce(h, frames, 10);
    await expectFiguresMatch(h, frames);
  }, 180_000);
});
