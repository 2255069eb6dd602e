import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { toCsv } from './csv';
import { parseStatsRange } from './stats-range';

const NOW = Date.parse('2026-11-21T10:30:20Z');
const parse = (query: string) => parseStatsRange(new URLSearchParams(query), NOW);
const sec = (iso: string) => Date.parse(iso) / 1000;

describe('parseStatsRange', () => {
  it('defaults to the last hour by minute, aligned down to the grain', () => {
    expect(parse('')).toEqual({ grain: 'minute', from: sec('2026-11-21T09:30:00Z'), to: sec('2026-11-21T10:30:20Z') });
    expect(parse('grain=day&from=2026-11-01T05:00:00Z&to=2026-11-03T00:00:00Z')).toEqual({ grain: 'day', from: sec('2026-11-01T00:00:00Z'), to: sec('2026-11-03T00:00:00Z') });
  });

  it('takes calendar months: aligned to the month, a year by default, at most ten years', () => {
    expect(parse('grain=month')).toEqual({ grain: 'month', from: sec('2025-11-01T00:00:00Z'), to: sec('2026-11-21T10:30:20Z') });
    expect(parse('grain=month&from=0001-03-09T00:00:00Z&to=0001-05-01T00:00:00Z')).toEqual({ grain: 'month', from: sec('0001-03-01T00:00:00Z'), to: sec('0001-05-01T00:00:00Z') });
    expect(parse('grain=month&from=2016-11-01T00:00:00Z&to=2026-11-01T00:00:00Z').grain).toBe('month');
    expect(() => parse('grain=month&from=2016-10-31T00:00:00Z&to=2026-11-01T00:00:00Z')).toThrow('to: a month view covers at most 120 months');
  });

  it.each([
    ['grain=week', 'grain: expected minute, hour, day, month'],
    ['from=yesterday', 'from: expected an ISO 8601 time'],
    ['from=2026-11-21T11:00:00Z', 'from: must be before to'],
    ['from=2026-11-01T00:00:00Z', 'to: a minute view covers at most 2880 minutes'],
  ])('refuses %s naming the field', (query, message) => {
    expect(() => parse(query)).toThrow(AppError);
    expect(() => parse(query)).toThrow(message);
  });
});

describe('toCsv', () => {
  it('quotes what needs quoting and leaves empty cells empty', () => {
    const csv = toCsv([{ header: 'name', value: (r: { n: string; v?: number }) => r.n }, { header: 'value', value: (r) => r.v }], [{ n: 'a,"b"', v: 1 }, { n: 'c' }]);
    expect(csv).toBe('name,value\r\n"a,""b""",1\r\nc,\r\n');
  });
});

describe('parseStatsRange, times Postgres cannot hold', () => {
  it.each([
    ['from=0000-01-01T00:00:00Z&to=2026-01-01T01:00:00Z', 'from: must be in the years 0001 to 9999'],
    ['to=0000-06-01T00:00:00Z', 'to: must be in the years 0001 to 9999'],
    ['to=0001-01-01T00:10:00Z', 'from: must be in the years 0001 to 9999'],
    ['from=2026-02-30T00:00:00Z', 'from: 2026-02-30 is not a date on the calendar'],
    ['from=2026-11-21T10:00:00Z&to=+275760-09-13T00:00:00Z', 'to: expected an ISO 8601 time'],
  ])('refuses %s with 400', (query, message) => {
    expect(() => parse(query)).toThrow(AppError);
    expect(() => parse(query)).toThrow(message);
  });
});
