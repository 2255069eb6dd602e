// The stats page's range as it lives in the URL: a relative range that follows now
// (`range=1h`) or a fixed one (`from`, `to`), and a grain.
import { type Grain, isGrain } from '@/lib/stats/grains';

export const PRESETS = {
  '1h': { spanSec: 3600, grain: 'minute' },
  '6h': { spanSec: 6 * 3600, grain: 'minute' },
  '24h': { spanSec: 86_400, grain: 'hour' },
  '7d': { spanSec: 7 * 86_400, grain: 'hour' },
  '30d': { spanSec: 30 * 86_400, grain: 'day' },
  '1y': { spanSec: 365 * 86_400, grain: 'month' },
} as const satisfies Record<string, { spanSec: number; grain: Grain }>;

export type Preset = keyof typeof PRESETS;

export type StatsQuery = { grain: Grain } & ({ preset: Preset } | { from: string; to: string });

export function readStatsQuery(params: Record<string, string | undefined>): StatsQuery {
  const grain = params.grain && isGrain(params.grain) ? params.grain : undefined;
  if (params.from && params.to) return { grain: grain ?? 'minute', from: params.from, to: params.to };
  const preset = params.range && Object.hasOwn(PRESETS, params.range) ? (params.range as Preset) : '1h';
  return { grain: grain ?? PRESETS[preset].grain, preset };
}

/** The absolute range to ask the API for, now. A relative range reaches a minute past now. */
export function resolveRange(q: StatsQuery, nowMs = Date.now()): { from: string; to: string } {
  if ('from' in q) return { from: q.from, to: q.to };
  return { from: new Date(nowMs - PRESETS[q.preset].spanSec * 1000).toISOString(), to: new Date(nowMs + 60_000).toISOString() };
}

export function toSearch(q: StatsQuery): string {
  const params = new URLSearchParams({ grain: q.grain });
  if ('from' in q) {
    params.set('from', q.from);
    params.set('to', q.to);
  } else params.set('range', q.preset);
  return `?${params.toString()}`;
}
