// The time range and grain of a stats request, from its query string: `from` and `to` as ISO
// times (default: the last span of the grain up to now), `grain` minute, hour, day or month
// (grains.ts). Each grain caps how many points one request may ask for.
import { AppError } from '../http/errors';
import { GRAINS, type Grain, countWindows, grainOf, isGrain, windowStart } from './grains';
import { assertStorableTime, parseQueryTime } from '../http/query-time';

export type { Grain };

export interface StatsRange {
  grain: Grain;
  /** Epoch seconds, aligned down to the grain. */
  from: number;
  /** Epoch seconds, exclusive. */
  to: number;
}

const invalid = (field: string, message: string) => new AppError('validation_failed', `${field}: ${message}`, [{ field: `/${field}`, rule: 'format', message }]);

function time(params: URLSearchParams, field: string): number | undefined {
  const text = params.get(field);
  if (text === null || text === '') return undefined;
  // a calendar date in the years 0001-9999: Postgres refuses year 0 (a 500, not a 400)
  return Math.floor(parseQueryTime(text, field).getTime() / 1000);
}

export function parseStatsRange(params: URLSearchParams, nowMs = Date.now()): StatsRange {
  const grain = params.get('grain') ?? 'minute';
  if (!isGrain(grain)) throw invalid('grain', `expected ${GRAINS.map((g) => g.grain).join(', ')}`);
  const g = grainOf(grain);
  const to = time(params, 'to') ?? Math.floor(nowMs / 1000);
  const fromRaw = time(params, 'from') ?? to - g.defaultSpanSec;
  const from = windowStart(grain, fromRaw);
  if (from >= to) throw invalid('from', 'must be before to');
  // the default span or the alignment may reach back before year 0001
  assertStorableTime(new Date(from * 1000), 'from');
  if (countWindows(grain, from, to, g.maxPoints + 1) > g.maxPoints) {
    throw invalid('to', `a ${grain} view covers at most ${g.maxPoints} ${grain}s; pick a coarser grain or a shorter range`);
  }
  return { grain, from, to };
}

