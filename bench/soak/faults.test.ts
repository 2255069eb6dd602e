import { describe, expect, it } from 'vitest';
import { WORKER_NAMES } from '../../scripts/app/services';
import { durationS, faultSchedule, laneOf } from './faults';

const base = { seed: 7, seconds: 600, workers: WORKER_NAMES, workersPerKind: 2, brokers: 3, servers: 2, workerKills: 10 };

describe('faultSchedule', () => {
  it('does every fault the soak promises, within the run, the same for a seed', () => {
    const schedule = faultSchedule(base);
    expect(faultSchedule(base)).toEqual(schedule);
    expect(faultSchedule({ ...base, seed: 8 })).not.toEqual(schedule);
    const kinds = schedule.map((s) => s.fault.kind);
    expect(kinds.filter((k) => k === 'kill-worker')).toHaveLength(10);
    for (const worker of WORKER_NAMES) expect(schedule.some((s) => s.fault.kind === 'kill-worker' && s.fault.worker === worker)).toBe(true);
    for (const kind of ['kill-broker', 'pause-broker', 'kill-server', 'restart-redis', 'scale-location']) expect(kinds).toContain(kind);
    for (const s of schedule) {
      expect(s.atS).toBeGreaterThan(0);
      expect(s.atS + durationS(s.fault)).toBeLessThan(base.seconds);
      if (s.fault.kind === 'kill-worker') expect(s.fault.index).toBeLessThan(2);
      if (s.fault.kind === 'kill-broker' || s.fault.kind === 'pause-broker') expect(s.fault.node).toBeLessThanOrEqual(3);
    }
  });

  it('never runs two faults of one lane at once', () => {
    for (let seed = 0; seed < 50; seed++) {
      const byLane = new Map<string, number>();
      for (const s of faultSchedule({ ...base, seed })) {
        const lane = laneOf(s.fault);
        expect(s.atS).toBeGreaterThanOrEqual(byLane.get(lane) ?? 0);
        byLane.set(lane, s.atS + durationS(s.fault));
      }
    }
  });

  it('short: the worker kills and one of each single fault, no pause or scaling', () => {
    const kinds = faultSchedule({ ...base, seconds: 120, workerKills: 4, short: true }).map((s) => s.fault.kind);
    expect(kinds.sort()).toEqual(['kill-broker', 'kill-server', 'kill-worker', 'kill-worker', 'kill-worker', 'kill-worker', 'restart-redis']);
  });
});
