import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TumblingWindows } from './tumbling-windows';

const M = 1_800_000_000 - (1_800_000_000 % 60); // a minute boundary, epoch seconds
const feed = (w: TumblingWindows, events: [string, number][]) => {
  for (const [uid, ts] of events) w.add(uid, ts);
};

describe('TumblingWindows', () => {
  it('emits a minute once, when the watermark passes its end, with its distinct users', () => {
    const w = new TumblingWindows(5);
    feed(w, [['a', M + 1], ['b', M + 10], ['a', M + 59]]);
    expect(w.drain()).toEqual([]); // the minute is still open
    w.add('c', M + 60); // the watermark reaches the minute's end
    expect(w.drain()).toEqual([{ start: M, uniqueUsers: 2, lateEvents: 0, final: false }]);
    expect(w.drain()).toEqual([]);
  });

  it('updates an emitted minute for a late event within the allowed lateness', () => {
    const w = new TumblingWindows(10);
    feed(w, [['a', M + 5], ['b', M + 62]]);
    w.drain();
    w.add('z', M + 30); // late by 32 s of event time, but the watermark (M+62) < M+60+10
    expect(w.drain()).toEqual([{ start: M, uniqueUsers: 2, lateEvents: 0, final: false }]);
    w.add('a', M + 40); // a user already counted: nothing changes
    expect(w.drain()).toEqual([]);
  });

  it('counts events beyond the allowed lateness as late, without changing the count', () => {
    const w = new TumblingWindows(10);
    feed(w, [['a', M + 5], ['b', M + 75]]); // M's end + lateness = M+70 <= watermark: M is final
    expect(w.drain()).toEqual([{ start: M, uniqueUsers: 1, lateEvents: 0, final: true }]);
    w.add('x', M + 20);
    w.add('y', M + 21);
    expect(w.drain()).toEqual([{ start: M, uniqueUsers: 1, lateEvents: 2, final: true }]);
  });

  it('takes numeric-string-like fractional seconds by the minute they fall in', () => {
    const w = new TumblingWindows(0);
    feed(w, [['a', M + 59.999], ['b', M + 60], ['c', M + 121]]);
    expect(w.drain()).toEqual([
      { start: M, uniqueUsers: 1, lateEvents: 0, final: true },
      { start: M + 60, uniqueUsers: 1, lateEvents: 0, final: true },
    ]);
  });

  it('counts hours the same way: a minute-late event may still be in time for its hour', () => {
    const minute = new TumblingWindows(5);
    const hour = new TumblingWindows(5, 3600);
    const H = M - (M % 3600);
    for (const w of [minute, hour]) {
      feed(w, [['a', H + 10], ['b', H + 200], ['c', H + 15], ['d', H + 3605]]);
    }
    expect(minute.drain().find((u) => u.start === H)).toEqual({ start: H, uniqueUsers: 1, lateEvents: 1, final: true });
    expect(hour.drain()).toEqual([{ start: H, uniqueUsers: 3, lateEvents: 0, final: true }]);
  });

  it('releases minutes that can no longer change: memory stays bounded', () => {
    const w = new TumblingWindows(5);
    for (let i = 0; i < 10_000; i++) w.add(`u${i % 500}`, M + i); // ~166 minutes of data
    expect(w.openWindows).toBeLessThanOrEqual(2);
  });

  it('matches an exact offline count for any stream within the allowed lateness', () => {
    const LATENESS = 30;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: LATENESS })), { minLength: 1, maxLength: 300 }),
        (raw) => {
          // arrival order: event time minus a disorder of at most LATENESS seconds
          const events = raw.map(([u, t, d]) => ({ uid: `u${u}`, ts: M + t, arrival: t + d })).sort((a, b) => a.arrival - b.arrival);
          const w = new TumblingWindows(LATENESS);
          const final = new Map<number, number>();
          const collect = () => {
            for (const u of w.drain()) final.set(u.start, u.uniqueUsers);
          };
          for (const e of events) {
            w.add(e.uid, e.ts);
            collect();
          }
          w.add('flush', M + 10_000); // move the watermark past everything
          collect();
          const truth = new Map<number, Set<string>>();
          for (const e of events) {
            const minute = Math.floor(e.ts / 60) * 60;
            truth.set(minute, (truth.get(minute) ?? new Set()).add(e.uid));
          }
          for (const [minute, users] of truth) expect(final.get(minute)).toBe(users.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});
