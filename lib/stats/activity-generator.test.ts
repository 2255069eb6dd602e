import { describe, expect, it } from 'vitest';
import { activityFrames, exactUniqueUsersPerMinute } from './activity-generator';
import { uidTsOf } from './read-uid-ts';

const options = { seed: 42, users: 300, frames: 2000, startSec: 1_800_000_000, ratePerSec: 50, disorderSec: 5, lateFraction: 0.02, lateBySec: 120 };

describe('activityFrames', () => {
  const frames = [...activityFrames(options)];

  it('is deterministic from its seed', () => {
    expect([...activityFrames(options)].map((f) => f.text)).toEqual(frames.map((f) => f.text));
    expect([...activityFrames({ ...options, seed: 43 })][0]!.text).not.toBe(frames[0]!.text);
  });

  it('writes valid JSON frames of 1.5-2 KB whose root uid and ts are the ones reported', () => {
    for (const f of frames) {
      const bytes = Buffer.byteLength(f.text);
      expect(bytes).toBeGreaterThanOrEqual(1536);
      expect(bytes).toBeLessThanOrEqual(2048);
      const parsed = JSON.parse(f.text) as { uid: string; ts: number | string };
      expect([parsed.uid, Number(parsed.ts)]).toEqual([f.uid, f.ts]);
      expect(uidTsOf(Buffer.from(f.text))).toEqual({ uid: f.uid, ts: f.ts });
    }
  });

  it('looks like a real log: uid and ts anywhere, numeric-string ts, nested uid/ts, escapes', () => {
    const firstKeys = new Set(frames.map((f) => Object.keys(JSON.parse(f.text) as object)[0]));
    expect(firstKeys.size).toBeGreaterThan(3);
    expect(frames.some((f) => /"ts":"\d+"/.test(f.text))).toBe(true);
    expect(frames.every((f) => /"session":\{"uid"/.test(f.text))).toBe(true);
    expect(frames.some((f) => f.text.includes('\\n') && f.text.includes('\\"'))).toBe(true);
  });

  it('puts frames out of order within the disorder, and a share much later', () => {
    let late = 0;
    frames.forEach((f, i) => {
      const due = options.startSec + i / options.ratePerSec;
      expect(f.ts).toBeLessThanOrEqual(due);
      if (due - f.ts > options.disorderSec + 1) late++;
    });
    expect(late / frames.length).toBeGreaterThan(0.005);
    expect(late / frames.length).toBeLessThan(0.05);
  });

  it('gives the exact ground truth per minute', () => {
    expect(exactUniqueUsersPerMinute([{ uid: 'a', ts: 60 }, { uid: 'a', ts: 119 }, { uid: 'b', ts: 61 }, { uid: 'a', ts: 120 }])).toEqual(
      new Map([[60, 2], [120, 1]]),
    );
    const truth = exactUniqueUsersPerMinute(frames);
    expect([...truth.values()].every((n) => n > 0 && n <= options.users)).toBe(true);
  });
});
