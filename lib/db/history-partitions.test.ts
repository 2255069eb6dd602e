import { describe, expect, it } from 'vitest';
import { DAY_MS, dayNumber, daysOf, firstKeptDay, isMissingPartition, partitionDay, partitionName } from './history-partitions';

describe('day partitions', () => {
  it('names a day and reads the name back', () => {
    const day = dayNumber(Date.UTC(2026, 11, 3, 23, 59, 59, 999));
    expect(partitionName('courier_location_history', day)).toBe('courier_location_history_p20261203');
    expect(partitionDay('courier_location_history', 'courier_location_history_p20261203')).toBe(day);
    expect(dayNumber(Date.UTC(2026, 11, 4))).toBe(day + 1);
  });

  it('takes no name that is not a day partition of that table', () => {
    for (const name of ['courier_location_history_p20261332', 'courier_location_history_p2026120', 'courier_location_history_p20260230', 'order_events_p20261203', 'courier_location_history_p20261203_pkey']) {
      expect(partitionDay('courier_location_history', name)).toBeUndefined();
    }
  });

  it('drops a day only once all of it is older than the retention', () => {
    const now = Date.UTC(2026, 11, 3, 0, 0, 1);
    // a second past midnight: yesterday's last rows are a second old, so yesterday stays
    expect(firstKeptDay(now, 1)).toBe(dayNumber(now) - 1);
    expect(firstKeptDay(now, 30)).toBe(dayNumber(now) - 30);
    // the day before the first kept ended more than 30 days ago; the first kept did not
    const first = firstKeptDay(now, 30);
    expect(now - first * DAY_MS).toBeGreaterThan(30 * DAY_MS);
    expect(now - (first * DAY_MS + DAY_MS)).toBeLessThan(30 * DAY_MS);
  });

  it('lists each day of a batch once, before 1970 too', () => {
    expect(daysOf([DAY_MS - 1, 0, DAY_MS, -1]).sort((a, b) => a - b)).toEqual([-1, 0, 1]);
  });

  it('tells a row without a partition from other failures, wrapped as Prisma wraps them', () => {
    const pgError = { code: '23514', message: 'no partition of relation "courier_location_history" found for row' };
    expect(isMissingPartition({ message: 'query failed', meta: { driverAdapterError: { cause: pgError } } })).toBe(true);
    expect(isMissingPartition({ message: 'new row violates check constraint', code: '23514' })).toBe(false);
    expect(isMissingPartition(undefined)).toBe(false);
  });
});
