// The window grains unique users are counted by, smallest first: the one table the classifier,
// the Redis scripts (through the starts and ends passed to them), the emitter, the reader,
// the API's ranges and the stats page use. A frame in time for a window is in time for every
// larger one, since each grain's windows end no earlier than the smaller ones inside them.
// Minutes, hours and days are fixed lengths of UTC time; months are calendar months (UTC).

export const GRAINS = [
  { grain: 'minute', window: 'm', table: 'unique_users_minute', column: 'minute', defaultSpanSec: 60 * 60, maxPoints: 2 * 1440 },
  { grain: 'hour', window: 'h', table: 'unique_users_hour', column: 'hour', defaultSpanSec: 48 * 3600, maxPoints: 90 * 24 },
  { grain: 'day', window: 'd', table: 'unique_users_day', column: 'day', defaultSpanSec: 30 * 86_400, maxPoints: 3 * 366 },
  { grain: 'month', window: 'mo', table: 'unique_users_month', column: 'month', defaultSpanSec: 366 * 86_400, maxPoints: 10 * 12 },
] as const;

export type GrainSpec = (typeof GRAINS)[number];
export type Grain = GrainSpec['grain'];
/** A grain's short name, as window keys in Redis, the stats topic and the stats room carry it. */
export type WindowName = GrainSpec['window'];

const FIXED: Partial<Record<Grain, number>> = { minute: 60, hour: 3600, day: 86_400 };

export const grainOf = (name: Grain | WindowName): GrainSpec => GRAINS.find((g) => g.grain === name || g.window === name)!;

export function isGrain(text: string): text is Grain {
  return GRAINS.some((g) => g.grain === text);
}

/** Start of the window of `grain` holding `tsSec` (epoch seconds). */
export function windowStart(grain: Grain, tsSec: number): number {
  const size = FIXED[grain];
  if (size) return Math.floor(tsSec / size) * size;
  const d = new Date(Math.floor(tsSec) * 1000);
  return monthStart(d.getUTCFullYear(), d.getUTCMonth());
}

/** Epoch seconds of a month's start (Date.UTC would read years 0-99 as 1900-1999). */
function monthStart(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d.getTime() / 1000;
}

/** End (exclusive) of the window of `grain` starting at `startSec`: the next one's start. */
export function windowEnd(grain: Grain, startSec: number): number {
  const size = FIXED[grain];
  if (size) return startSec + size;
  const d = new Date(startSec * 1000);
  return monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
}

/** The starts of the windows of `grain` from the one holding `fromSec` up to (not including) `toSec`. */
export function windowStarts(grain: Grain, fromSec: number, toSec: number): number[] {
  const starts: number[] = [];
  for (let s = windowStart(grain, fromSec); s < toSec; s = windowEnd(grain, s)) starts.push(s);
  return starts;
}

/** Each grain's window [start, end) holding the minute starting at `minute`. */
export function windowBounds(minute: number): [number, number][] {
  return GRAINS.map((g) => {
    const start = windowStart(g.grain, minute);
    return [start, windowEnd(g.grain, start)];
  });
}

/** How many windows of `grain` start in [fromSec, toSec), counting no further than `cap`. */
export function countWindows(grain: Grain, fromSec: number, toSec: number, cap: number): number {
  const size = FIXED[grain];
  if (size) return Math.min(cap, Math.ceil((toSec - windowStart(grain, fromSec)) / size));
  let n = 0;
  for (let s = windowStart(grain, fromSec); s < toSec && n < cap; s = windowEnd(grain, s)) n++;
  return n;
}
