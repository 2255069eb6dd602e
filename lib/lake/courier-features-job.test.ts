import { describe, expect, it } from 'vitest';
import { daysBetween, dueFeatureDays, featuresFile } from './courier-features-job';

describe('courier features by day', () => {
  it('lists the days of a backfill, and refuses a malformed or reversed range', () => {
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(daysBetween('2026-12-03', '2026-12-03')).toEqual(['2026-12-03']);
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow('--from: expected a date YYYY-MM-DD, got "2026-02-30"');
    expect(() => daysBetween('2026-03-02', '2026-03-01')).toThrow('--to 2026-03-01 is before --from 2026-03-02');
  });

  it('writes a day from an hour after it ends until late events stop counting, and a missing day of the last week', () => {
    const exists = (days: string[]) => (p: string) => days.some((d) => p === featuresFile('/lake', d));
    const all = ['2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'];
    // 00:30 on the 3rd: the 2nd ended half an hour ago; the 1st and 31st... are in their late window
    expect(dueFeatureDays('/lake', Date.UTC(2026, 11, 3, 0, 30), exists(all))).toEqual(['2026-11-30', '2026-12-01']);
    expect(dueFeatureDays('/lake', Date.UTC(2026, 11, 3, 1, 0), exists(all))).toEqual(['2026-12-01', '2026-12-02']);
    // a day of the last week without a file is written whatever its age
    expect(dueFeatureDays('/lake', Date.UTC(2026, 11, 3, 1, 0), exists(all.filter((d) => d !== '2026-11-27')))).toEqual(['2026-11-27', '2026-12-01', '2026-12-02']);
  });
});
