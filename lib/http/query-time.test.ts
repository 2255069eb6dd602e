import { describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { assertStorableTime, parseQueryTime } from './query-time';

describe('parseQueryTime', () => {
  it.each([
    ['2026-11-21T10:00:00Z', '2026-11-21T10:00:00.000Z'],
    ['2026-11-21T10:00:00.123+02:00', '2026-11-21T08:00:00.123Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseQueryTime(text, 'since').toISOString()).toBe(iso);
  });

  it.each([
    ['yesterday', 'format'],
    ['2026-11-21', 'format'],
    ['2026-13-01T00:00:00Z', 'format'],
    ['2026-02-31T00:00:00Z', 'format'],
    ['2027-02-29T00:00:00Z', 'format'],
    ['0000-01-01T00:00:00Z', 'range'],
    ['0001-01-01T00:30:00+01:00', 'range'],
    ['+275760-09-13T00:00:00Z', 'format'],
  ])('refuses %s with 400 naming the field', (text, rule) => {
    let error: unknown;
    try {
      parseQueryTime(text, 'since');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, issues: [{ field: '/since', rule }] });
    expect((error as Error).message).toMatch(/^since: /);
  });
});

describe('assertStorableTime', () => {
  it('keeps years 0001-9999 and refuses the rest', () => {
    expect(assertStorableTime(new Date('2026-01-01T00:00:00Z'), 'since').getUTCFullYear()).toBe(2026);
    expect(() => assertStorableTime(new Date('0000-06-01T00:00:00Z'), 'since')).toThrow('since: must be in the years 0001 to 9999');
    expect(() => assertStorableTime(new Date(Number.NaN), 'since')).toThrow(AppError);
  });
});
