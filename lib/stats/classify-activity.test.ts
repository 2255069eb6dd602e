import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifier } from './classify-activity';
import { GRAINS, windowStart } from './grains';
import { TumblingWindows } from './tumbling-windows';

const H = 1_800_000_000 - (1_800_000_000 % 86_400); // a day boundary, epoch seconds

describe('classifier', () => {
  it('groups frames by minute and by the smallest window they are in time for', () => {
    const c = classifier(-Infinity, 5);
    c.add('a', H + 10);
    c.add('b', H + 20.5);
    c.add('a', H + 40); // a user again: one uid, two frames
    c.add('c', H + 3700); // watermark now past minute H's end + 5 s, and past hour H's
    c.add('d', H + 30); // late for its minute and its hour, in time for its day
    c.add('e', H + 3650); // its minute ended at H+3660, +5 s < watermark: late for it, in time for its hour
    expect(c.watermark).toBe(H + 3700);
    expect(c.groups()).toEqual([
      { level: 0, minute: H, frames: 3, future: 0, uids: ['a', 'b'] },
      { level: 0, minute: H + 3660, frames: 1, future: 0, uids: ['c'] },
      { level: 2, minute: H, frames: 1, future: 0, uids: ['d'] },
      { level: 1, minute: H + 3600, frames: 1, future: 0, uids: ['e'] },
    ]);
  });

  it('counts a frame late for every window at level GRAINS.length', () => {
    const c = classifier(H + 62 * 86_400, 5);
    c.add('a', H + 1);
    c.add('a', H + 2);
    expect(c.groups()).toEqual([{ level: GRAINS.length, minute: H, frames: 2, future: 0, uids: ['a'] }]);
    expect(c.watermark).toBe(H + 62 * 86_400);
  });

  it('counts a frame late for its day but in time for its month at the month level', () => {
    const c = classifier(H + 2 * 86_400, 5);
    c.add('a', H + 1);
    const level = c.groups()[0]!.level;
    // H is 2027-01-15: its month ends on 2027-02-01, past the watermark
    expect(new Date(H * 1000).toISOString()).toBe('2027-01-15T00:00:00.000Z');
    expect(GRAINS[level]!.grain).toBe('month');
  });

  it('moves the watermark by no more than the record timestamp plus the tolerance, and counts such frames as from the future', () => {
    const c = classifier(H, 5, 10);
    const recordMs = (H + 1) * 1000;
    c.add('a', H + 300, recordMs); // a clock 5 minutes ahead
    expect(c.watermark).toBe(H + 11);
    c.add('b', H + 2, recordMs); // in time, though the frame from the future came first
    c.add('c', H + 8, recordMs); // within the tolerance: moves the watermark as it is
    expect(c.watermark).toBe(H + 11);
    c.add('d', H + 30); // no record timestamp: its own time
    expect(c.watermark).toBe(H + 30);
    expect(c.groups()).toEqual([
      { level: 0, minute: H + 300, frames: 1, future: 1, uids: ['a'] },
      { level: 0, minute: H, frames: 3, future: 0, uids: ['b', 'c', 'd'] },
    ]);
  });

  it('agrees with TumblingWindows for every window size, from any starting watermark', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 40 * 86_400 }), fc.boolean()), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 200 }),
        (frames, lateness, split) => {
          // two batches: the second starts from the watermark the first left
          const events = frames.map(([u, t, frac]) => ({ uid: `u${u}`, ts: H + t + (frac ? 0.5 : 0) }));
          const references = GRAINS.map((g) => new TumblingWindows(lateness, g.grain, 100 * 86_400));
          for (const e of events) for (const r of references) r.add(e.uid, e.ts);
          const first = classifier(-Infinity, lateness);
          events.slice(0, split).forEach((e) => first.add(e.uid, e.ts));
          const second = classifier(first.watermark, lateness);
          events.slice(split).forEach((e) => second.add(e.uid, e.ts));

          // rebuild each window's users and late count from the groups
          const users = GRAINS.map(() => new Map<number, Set<string>>());
          const late = GRAINS.map(() => new Map<number, number>());
          for (const g of [...first.groups(), ...second.groups()]) {
            GRAINS.forEach((w, r) => {
              const start = windowStart(w.grain, g.minute);
              if (r < g.level) late[r]!.set(start, (late[r]!.get(start) ?? 0) + g.frames);
              else users[r]!.set(start, new Set([...(users[r]!.get(start) ?? []), ...g.uids]));
            });
          }
          GRAINS.forEach((w, r) => {
            references[r]!.add('flush', H + 400 * 86_400);
            for (const u of references[r]!.drain()) {
              if (u.uniqueUsers === 0 && u.lateEvents === 0) continue;
              expect(users[r]!.get(u.start)?.size ?? 0, `${w.grain} ${u.start} users`).toBe(u.uniqueUsers);
              expect(late[r]!.get(u.start) ?? 0, `${w.grain} ${u.start} late`).toBe(u.lateEvents);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
