import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { TRAIL_LIMIT, parseTrailRequest } from './read-trail';

const parse = (query: string, id = 'c-1') => parseTrailRequest(id, new URLSearchParams(query));
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? [err.status, err.issues[0]?.field, err.issues[0]?.rule] : err;
  }
  return 'no error';
};

describe('parseTrailRequest', () => {
  it('reads since and limit', () => {
    expect(parse('since=2026-11-21T10:00:00Z&limit=10')).toEqual({ courierId: 'c-1', since: new Date('2026-11-21T10:00:00Z'), limit: 10 });
    expect(parse('since=2026-11-21T10:00:00.000-03:00').limit).toBe(TRAIL_LIMIT.default);
  });

  it.each([
    ['', '/since', 'required'],
    ['since=', '/since', 'required'],
    ['since=yesterday', '/since', 'format'],
    ['since=1795275223014', '/since', 'format'],
    ['since=2026-13-45T10:00:00Z', '/since', 'format'],
    ['since=2026-11-21T10:00:00Z&limit=0', '/limit', 'range'],
    ['since=2026-11-21T10:00:00Z&limit=2.5', '/limit', 'range'],
    ['since=2026-11-21T10:00:00Z&limit=100000', '/limit', 'range'],
  ])('refuses %j with a 400 naming the field', (query, field, rule) => {
    expect(fieldOf(() => parse(query))).toEqual([400, field, rule]);
  });

  it('refuses a malformed courier id', () => {
    expect(fieldOf(() => parse('since=2026-11-21T10:00:00Z', 'a b'))).toEqual([400, '/id', 'pattern']);
  });
});
