import { describe, expect, it } from 'vitest';
import { random } from './activity-generator';
import { classifier } from './classify-activity';
import { GRAINS, windowBounds } from './grains';
import { MAX_PER_WINDOW, sentUids } from './sent-uids';
import type { BatchGroup } from './window-store';

const LATENESS = 5;
const M = 1_800_000_000; // a minute that starts an hour (and not a day)
const group = (uids: string[], minute = M, level = 0): BatchGroup => ({ level, minute, frames: uids.length, future: 0, uids });
/** Each grain's set and the hour's HyperLogLog. */
const TARGETS = GRAINS.length + 1;
const targets = (g: BatchGroup) => g.lacking!.map((uids) => [...uids].sort());

describe('sentUids', () => {
  it('sends each window a uid once, whichever partition its frames come through, and all again in a new epoch', () => {
    const sent = sentUids(LATENESS);
    const [first] = sent.lacking('e1', [group(['a', 'b'])]);
    expect(targets(first!)).toEqual(Array(TARGETS).fill(['a', 'b']));
    sent.applied('e1', M + 10, [first!]);

    const [second] = sent.lacking('e1', [group(['b', 'c'])]);
    expect(targets(second!)).toEqual(Array(TARGETS).fill(['c']));
    // a new epoch: Redis holds nothing of what was sent before
    expect(targets(sent.lacking('e2', [group(['b'])])[0]!)).toEqual(Array(TARGETS).fill(['b']));
  });

  it('remembers only what was applied', () => {
    const sent = sentUids(LATENESS);
    sent.lacking('e1', [group(['a'])]); // refused, or failed: never applied
    expect(sent.size()).toBe(0);
    expect(targets(sent.lacking('e1', [group(['a'])])[0]!)).toEqual(Array(TARGETS).fill(['a']));
  });

  it('sends nothing to the windows a group is late for, and its uids to the hour HyperLogLog even when late for all', () => {
    const sent = sentUids(LATENESS);
    const [lateForMinute, lateForAll] = sent.lacking('e1', [group(['a'], M, 1), group(['b'], M, GRAINS.length)]);
    expect(targets(lateForMinute!)).toEqual([[], ['a'], ['a'], ['a'], ['a']]);
    expect(targets(lateForAll!)).toEqual([[], [], [], [], ['b']]);
  });

  it('forgets a window once a watermark has passed its end plus the allowed lateness, as Redis releases its set', () => {
    const sent = sentUids(LATENESS);
    const [g] = sent.lacking('e1', [group(['a', 'b'])]);
    sent.applied('e1', M + 60 + LATENESS - 1, [g!]);
    expect(sent.size()).toBe(2 * TARGETS);
    const [h] = sent.lacking('e1', [group(['c'], M + 60)]);
    sent.applied('e1', M + 60 + LATENESS, [h!]);
    // the first minute is gone: a, b, c in the hour, the day, the month and the HyperLogLog, c in the second minute
    expect(sent.size()).toBe(3 * (TARGETS - 1) + 1);
    const [again] = sent.lacking('e1', [group(['a'], M + 60)]);
    expect(targets(again!)).toEqual([['a'], [], [], [], []]);
  });

  it('remembers at most MAX_PER_WINDOW uids a window', () => {
    const sent = sentUids(LATENESS);
    const many = Array.from({ length: MAX_PER_WINDOW + 10 }, (_, i) => `u${i}`);
    const [g] = sent.lacking('e1', [group(many)]);
    sent.applied('e1', M, [g!]);
    expect(sent.size()).toBe(TARGETS * MAX_PER_WINDOW);
    const [again] = sent.lacking('e1', [group(many)]);
    expect(again!.lacking!.map((uids) => uids.length)).toEqual(Array(TARGETS).fill(10));
  });
});

describe('sentUids against a model of the Redis sets', () => {
  it('leaves every set as sending every uid every time would, over three partitions sharing the sets, with disorder and late frames', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = random(seed);
      const lateness = 1 + Math.floor(rand() * 10);
      const sent = sentUids(lateness);
      // the sets as Redis keeps them, shared by the partitions: a window's user set released
      // once the stream's watermark (the lowest partition's) passes its end plus the lateness,
      // and nothing added to it after; HyperLogLogs kept
      const redis = [new Map<string, Set<string>>(), new Map<string, Set<string>>()]; // [with sentUids, with everything]
      const closedAt = new Map<string, number>();
      const watermarks = [-Infinity, -Infinity, -Infinity];
      let ts = 1_800_000_000 + Math.floor(rand() * 40 * 86_400);
      for (let batch = 0; batch < 60; batch++) {
        const partition = Math.floor(rand() * 3);
        const c = classifier(watermarks[partition]!, lateness);
        const frames = 1 + Math.floor(rand() * 30);
        for (let f = 0; f < frames; f++) {
          ts += Math.floor(rand() * 20);
          const late = rand() < 0.15 ? Math.floor(rand() * 4000) : Math.floor(rand() * 5);
          c.add(`u${Math.floor(rand() * 12)}`, ts - late);
        }
        const groups = c.groups();
        const cached = sent.lacking('e1', groups);
        const streamWatermark = Math.min(...watermarks);
        ([cached, groups] as BatchGroup[][]).forEach((gs, r) => {
          const sets = redis[r]!;
          for (const g of gs) {
            const lists = g.lacking ?? Array(TARGETS).fill(g.uids);
            const bounds = windowBounds(g.minute);
            const keys = [...GRAINS.map((w, i) => `${w.window}:${bounds[i]![0]}`), `hll:${bounds[1]![0]}`];
            keys.forEach((key, t) => {
              if (t < GRAINS.length) {
                if (t < g.level || bounds[t]![1] + lateness <= streamWatermark) return; // late: counted, not added
                closedAt.set(key, bounds[t]![1] + lateness);
              }
              if (!sets.has(key)) sets.set(key, new Set());
              for (const uid of lists[t]!) sets.get(key)!.add(uid);
            });
          }
        });
        watermarks[partition] = c.watermark;
        sent.applied('e1', c.watermark, cached);
        const released = Math.min(...watermarks);
        for (const sets of redis) for (const key of sets.keys()) if ((closedAt.get(key) ?? Infinity) <= released) sets.delete(key);
        const view = (sets: Map<string, Set<string>>) => Object.fromEntries([...sets].map(([k, v]) => [k, [...v].sort()]));
        expect(view(redis[0]!)).toEqual(view(redis[1]!));
      }
    }
  });
});
