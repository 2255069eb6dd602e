import { describe, expect, it } from 'vitest';
import { random } from './activity-generator';
import { WINDOWS, classifier } from './classify-activity';
import { MAX_PER_WINDOW, sentUids } from './sent-uids';
import type { BatchGroup } from './window-store';

const LATENESS = 5;
const M = 1_800_000_000; // a minute that starts an hour (and not a day)
const group = (uids: string[], minute = M, level = 0): BatchGroup => ({ level, minute, frames: uids.length, uids });
const targets = (g: BatchGroup) => g.lacking!.map((uids) => [...uids].sort());

describe('sentUids', () => {
  it('sends each window a uid once while it follows its own batches, all again when the partition moved elsewhere', () => {
    const sent = sentUids(LATENESS);
    const [first] = sent.lacking(0, { offset: 9, watermark: M }, [group(['a', 'b'])]);
    expect(targets(first!)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a', 'b']]);
    sent.applied(0, 19, M + 10, [first!]);

    const [second] = sent.lacking(0, { offset: 19, watermark: M + 10 }, [group(['b', 'c'])]);
    expect(targets(second!)).toEqual([['c'], ['c'], ['c'], ['c']]);
    // another partition knows nothing of these
    expect(targets(sent.lacking(1, { offset: 19, watermark: M + 10 }, [group(['b'])])[0]!)).toEqual([['b'], ['b'], ['b'], ['b']]);
    // the batch that follows another process's batches (or a refused one) sends everything
    expect(targets(sent.lacking(0, { offset: 29, watermark: M + 10 }, [group(['b'])])[0]!)).toEqual([['b'], ['b'], ['b'], ['b']]);
  });

  it('remembers only what was applied', () => {
    const sent = sentUids(LATENESS);
    sent.lacking(0, { offset: -1, watermark: -Infinity }, [group(['a'])]);
    sent.forget(0); // refused
    expect(sent.size()).toBe(0);
    expect(targets(sent.lacking(0, { offset: -1, watermark: -Infinity }, [group(['a'])])[0]!)).toEqual([['a'], ['a'], ['a'], ['a']]);
  });

  it('sends nothing to the windows a group is late for, and its uids to the hour HyperLogLog even when late for all', () => {
    const sent = sentUids(LATENESS);
    const [lateForMinute, lateForAll] = sent.lacking(0, { offset: 0, watermark: M + 3600 * 30 }, [group(['a'], M, 1), group(['b'], M, 3)]);
    expect(targets(lateForMinute!)).toEqual([[], ['a'], ['a'], ['a']]);
    expect(targets(lateForAll!)).toEqual([[], [], [], ['b']]);
  });

  it('forgets a window once the watermark has passed its end plus the allowed lateness, as Redis deletes its set', () => {
    const sent = sentUids(LATENESS);
    const [g] = sent.lacking(0, { offset: 0, watermark: M }, [group(['a', 'b'])]);
    sent.applied(0, 1, M + 60 + LATENESS - 1, [g!]);
    expect(sent.size()).toBe(8); // minute, hour, day, HyperLogLog
    const [h] = sent.lacking(0, { offset: 1, watermark: M + 64 }, [group(['c'], M + 60)]);
    sent.applied(0, 2, M + 60 + LATENESS, [h!]);
    expect(sent.size()).toBe(3 * 3 + 1); // the first minute is gone: a, b, c in the hour, the day and the HyperLogLog, c in the second minute
    const [again] = sent.lacking(0, { offset: 2, watermark: M + 65 }, [group(['a'], M + 60)]);
    expect(targets(again!)).toEqual([['a'], [], [], []]);
  });

  it('remembers at most MAX_PER_WINDOW uids a window', () => {
    const sent = sentUids(LATENESS);
    const many = Array.from({ length: MAX_PER_WINDOW + 10 }, (_, i) => `u${i}`);
    const [g] = sent.lacking(0, { offset: 0, watermark: M }, [group(many)]);
    sent.applied(0, 1, M, [g!]);
    expect(sent.size()).toBe(4 * MAX_PER_WINDOW);
    const [again] = sent.lacking(0, { offset: 1, watermark: M }, [group(many)]);
    expect(again!.lacking!.map((uids) => uids.length)).toEqual([10, 10, 10, 10]);
  });
});

describe('sentUids against a model of the Redis sets', () => {
  it('leaves every set as sending every uid every time would, over classified streams with disorder and late frames', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = random(seed);
      const lateness = 1 + Math.floor(rand() * 10);
      const sent = sentUids(lateness);
      // the sets as Redis keeps them: user sets deleted as their window closes, HyperLogLogs kept
      const redis = [new Map<string, Set<string>>(), new Map<string, Set<string>>()]; // [with sentUids, with everything]
      let state = { offset: -1, watermark: -Infinity };
      let ts = 1_800_000_000 + Math.floor(rand() * 86_400);
      for (let batch = 0; batch < 40; batch++) {
        const c = classifier(state.watermark, lateness);
        const frames = 1 + Math.floor(rand() * 30);
        for (let f = 0; f < frames; f++) {
          ts += Math.floor(rand() * 20);
          const late = rand() < 0.15 ? Math.floor(rand() * 4000) : Math.floor(rand() * 5);
          c.add(`u${Math.floor(rand() * 12)}`, ts - late);
        }
        const groups = c.groups();
        const cached = sent.lacking(0, state, groups);
        const offset = state.offset + frames;
        ([cached, groups] as BatchGroup[][]).forEach((gs, r) => {
          const sets = redis[r]!;
          for (const g of gs) {
            const lists = g.lacking ?? [g.uids, g.uids, g.uids, g.uids];
            const keys = [...WINDOWS.map((w) => `${w.name}:${g.minute - (g.minute % w.sizeSec)}`), `hll:${g.minute - (g.minute % 3600)}`];
            keys.forEach((key, t) => {
              if (t < WINDOWS.length && t < g.level) return;
              if (!sets.has(key)) sets.set(key, new Set());
              for (const uid of lists[t]!) sets.get(key)!.add(uid);
            });
          }
          for (const key of sets.keys()) {
            const [name, start] = key.split(':') as [string, string];
            const size = WINDOWS.find((w) => w.name === name)?.sizeSec;
            if (size && Number(start) + size + lateness <= c.watermark) sets.delete(key);
          }
        });
        sent.applied(0, offset, c.watermark, cached);
        state = { offset, watermark: c.watermark };
        const view = (sets: Map<string, Set<string>>) => Object.fromEntries([...sets].map(([k, v]) => [k, [...v].sort()]));
        expect(view(redis[0]!)).toEqual(view(redis[1]!));
      }
    }
  });
});
