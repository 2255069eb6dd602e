import { describe, expect, it } from 'vitest';
import { daysBetween, dueFeatureDays, featuresFile } from './courier-features-job';

describe('courier features by day', () => {
  it('lists the days of a backfill, and refuses a malformed or reversed range', () => {
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(daysBetween('2026-12-03', '2026-12-03')).toEqual(['2026-12-03']);
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow('--from: expected a date YYYY-MM-DD, got "2026-02-30"');
    expect(() => daysBetween('2026-03-02', '2026-03-01')).toThrow('--to 2026-03-01 is before --from 2026-03-02');
  });

  it('writes a day once it has been over an hour, and not again', async () => {
    const now = Date.UTC(2026, 11, 3, 0, 30);
    expect(await dueFeatureDays('/lake', now, () => false)).toEqual(['2026-12-01']);
    const later = Date.UTC(2026, 11, 3, 1, 0);
    expect(await dueFeatureDays('/lake', later, () => false)).toEqual(['2026-12-01', '2026-12-02']);
    expect(await dueFeatureDays('/lake', later, (p) => p === featuresFile('/lake', '2026-12-01'))).toEqual(['2026-12-02']);
  });
});
