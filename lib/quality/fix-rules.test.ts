// The rules on crafted tracks: a teleport, a frozen clock, a duplicate burst, a tracker with
// no fix, a clock hours off, a poor fix; and one bad fix does not shut a courier out.
import { describe, expect, it } from 'vitest';
import { type Fix, type QualityRules, distanceM, judgeFix, judgeTrack } from './fix-rules';

const NOW = Date.UTC(2026, 11, 6, 12);
const RULES: QualityRules = { duplicate: true, zero: true, maxAccuracyM: 100, maxSpeedKmh: 200, maxFutureS: 300, maxPastS: 86_400 };
/** A courier riding east along the equator-ish at `kmh`, a fix every `everyS` seconds. */
function ride(n: number, kmh = 30, everyS = 1, start = { lat: -23.55, lng: -46.63, at: NOW - 600_000 }): Fix[] {
  const degPerS = kmh / 3600 / 111.32 / Math.cos((start.lat * Math.PI) / 180);
  return Array.from({ length: n }, (_, i) => ({ occurredAt: start.at + i * everyS * 1000, lat: start.lat, lng: start.lng + i * everyS * degPerS }));
}
const rulesOf = (verdicts: ReturnType<typeof judgeTrack>['verdicts']) => verdicts.map((v) => (v.ok ? 'ok' : v.rule));

describe('judgeTrack', () => {
  it('passes a good ride whole', () => {
    const { verdicts, state } = judgeTrack(ride(60), {}, RULES, NOW);
    expect(rulesOf(verdicts).every((r) => r === 'ok')).toBe(true);
    expect(state.last?.occurredAt).toBe(ride(60)[59]!.occurredAt);
  });

  it('filters a teleport, and the ride goes on from the last good fix', () => {
    const track = ride(10);
    track[5] = { ...track[5]!, lat: -22.9, lng: -43.2 }; // Rio, for one second
    const { verdicts, state } = judgeTrack(track, {}, RULES, NOW);
    expect(rulesOf(verdicts)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'teleport', 'ok', 'ok', 'ok', 'ok']);
    expect(state.last).toEqual(track[9]);
    expect(state.suspect).toBeUndefined();
  });

  it('a wrong first fix does not shut the courier out: two fixes that agree take over', () => {
    const track = ride(6);
    const wrong: Fix = { occurredAt: track[0]!.occurredAt - 1000, lat: 0.5, lng: 0.5 };
    const { verdicts, state } = judgeTrack(track, { last: wrong }, RULES, NOW);
    expect(rulesOf(verdicts)).toEqual(['teleport', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(state.last).toEqual(track[5]);
  });

  it('a frozen clock: the same time again and again is one fix', () => {
    const track = ride(5).map((f) => ({ ...f, occurredAt: NOW - 60_000 }));
    expect(rulesOf(judgeTrack(track, {}, RULES, NOW).verdicts)).toEqual(['ok', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
  });

  it('a duplicate burst (the same fix sent five times) is one fix; the next new one passes', () => {
    const [a, b] = ride(2);
    const burst = [a!, a!, a!, a!, a!, b!];
    expect(rulesOf(judgeTrack(burst, {}, RULES, NOW).verdicts)).toEqual(['ok', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'ok']);
  });

  it('a duplicate against the state kept from an earlier request', () => {
    const [a] = ride(1);
    expect(rulesOf(judgeTrack([a!], { last: a }, RULES, NOW).verdicts)).toEqual(['duplicate']);
  });
});

describe('judgeFix', () => {
  const fix: Fix = { occurredAt: NOW - 1000, lat: -23.55, lng: -46.63 };
  it.each([
    ['zero', { lat: 0, lng: 0 }],
    ['future', { occurredAt: NOW + 301_000 }],
    ['past', { occurredAt: NOW - 86_401_000 }],
    ['accuracy', { accuracyM: 150 }],
  ])('%s', (rule, change) => expect(judgeFix({ ...fix, ...change }, undefined, RULES, NOW)).toMatchObject({ ok: false, rule }));

  it('each rule can be off', () => {
    const off: QualityRules = { duplicate: false, zero: false, maxFutureS: 86_400 * 365 };
    expect(judgeFix({ ...fix, lat: 0, lng: 0, accuracyM: 5000 }, { ...fix, lat: 10, lng: 10 }, off, NOW)).toEqual({ ok: true });
    expect(judgeFix(fix, fix, off, NOW)).toEqual({ ok: true });
  });

  it('a fix at the edge passes: accuracy equal to the limit, a fix 300 s ahead', () => {
    expect(judgeFix({ ...fix, accuracyM: 100 }, undefined, RULES, NOW)).toEqual({ ok: true });
    expect(judgeFix({ ...fix, occurredAt: NOW + 300_000 }, undefined, RULES, NOW)).toEqual({ ok: true });
  });

  it('distanceM: São Paulo to Rio is about 361 km', () => {
    expect(distanceM({ lat: -23.5505, lng: -46.6333 }, { lat: -22.9068, lng: -43.1729 }) / 1000).toBeCloseTo(361, -1);
  });
});
