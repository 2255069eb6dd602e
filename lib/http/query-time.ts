// Times in query strings (`since`, `from`, `to`): ISO 8601 with a real calendar date, in the
// years 0001-9999. JavaScript takes year 0000 and rolls 2026-02-31 over to March; Postgres
// refuses year 0, so such a time would fail in the database (500) instead of here (400).
import { AppError } from './errors';

const DATE_PART = /^(\d{4})-(\d{2})-(\d{2})T/;
const EXAMPLE = 'expected an ISO 8601 time such as 2026-11-21T10:00:00Z';
const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

const invalid = (field: string, rule: string, message: string) =>
  new AppError('validation_failed', `${field}: ${message}`, [{ field: `/${field}`, rule, message }]);

function realDate(year: number, month: number, day: number): boolean {
  const at = new Date(Date.UTC(2000, month - 1, day));
  at.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}

/** 400 naming `field` unless `at` is a time Postgres and JavaScript both hold (0001-9999). */
export function assertStorableTime(at: Date, field: string): Date {
  const ms = at.getTime();
  if (!(ms >= MIN_MS && ms <= MAX_MS)) throw invalid(field, 'range', 'must be in the years 0001 to 9999');
  return at;
}

/** The time `text` names, or 400 naming `field`. */
export function parseQueryTime(text: string, field: string): Date {
  const date = DATE_PART.exec(text);
  const ms = Date.parse(text);
  if (!date || Number.isNaN(ms)) throw invalid(field, 'format', EXAMPLE);
  if (!realDate(Number(date[1]), Number(date[2]), Number(date[3]))) throw invalid(field, 'format', `${date[0].slice(0, 10)} is not a date on the calendar`);
  return assertStorableTime(new Date(ms), field);
}
