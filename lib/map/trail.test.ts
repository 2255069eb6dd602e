import { describe, expect, it } from 'vitest';
import { type TrailPoint, advanceReplay, appendToTrail, playReplay, pointBefore, positionAt, replayOf } from './trail';

const p = (occurredAt: number, lat = 0, lng = 0): TrailPoint => ({ occurredAt, lat, lng });

describe('live trail', () => {
  it('appends newer fixes and keeps only the last keepMs', () => {
    const trail = [p(0), p(1000)];
    appendToTrail(trail, p(2000), 10_000);
    appendToTrail(trail, p(1500), 10_000); // late: not newer than the last
    appendToTrail(trail, p(2000), 10_000); // a repeat
    expect(trail.map((x) => x.occurredAt)).toEqual([0, 1000, 2000]);
    appendToTrail(trail, p(11_500), 10_000);
    expect(trail.map((x) => x.occurredAt)).toEqual([2000, 11_500]);
  });
});

describe('positions along a trail', () => {
  const trail = [p(1000, 0, 0), p(2000, 1, 2), p(4000, 3, 2)];

  it('finds the fix before a time', () => {
    expect([999, 1000, 1999, 2000, 3999, 9999].map((t) => pointBefore(trail, t))).toEqual([-1, 0, 0, 1, 1, 2]);
    expect(pointBefore([], 5)).toBe(-1);
  });

  it('interpolates between fixes and holds at both ends', () => {
    expect(positionAt(trail, 1500)).toEqual({ lat: 0.5, lng: 1 });
    expect(positionAt(trail, 3000)).toEqual({ lat: 2, lng: 2 });
    expect(positionAt(trail, 0)).toEqual({ lat: 0, lng: 0 });
    expect(positionAt(trail, 5000)).toEqual({ lat: 3, lng: 2 });
    expect(positionAt([], 5000)).toBeNull();
  });
});

describe('replay', () => {
  const trail = [p(60_000), p(120_000), p(660_000)]; // ten minutes

  it('runs at its speed and stops at the end', () => {
    let r = replayOf(trail, 60)!;
    expect(r).toEqual({ from: 60_000, to: 660_000, at: 60_000, speed: 60, playing: false });
    expect(advanceReplay(r, 1000)).toBe(r); // paused
    r = advanceReplay(playReplay(r), 1000); // one second at 60× is a minute
    expect(r).toMatchObject({ at: 120_000, playing: true });
    r = advanceReplay({ ...r, speed: 4 }, 2500);
    expect(r.at).toBe(130_000);
    r = advanceReplay(r, 1_000_000);
    expect(r).toMatchObject({ at: 660_000, playing: false });
    expect(playReplay(r)).toMatchObject({ at: 60_000, playing: true }); // again from the start
  });

  it('has nothing to replay without fixes', () => {
    expect(replayOf([])).toBeNull();
  });
});
