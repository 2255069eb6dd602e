// The quality gate at ingest, shared by the JSON API and the OsmAnd protocol: each courier's
// pings judged by lib/quality/fix-rules.ts against what it remembers of the courier's track
// (Redis `quality:track:<courierId>`, shared by every server process). `judge` reads and
// decides; `commit`, called once Kafka holds the kept pings, remembers them: a send that
// failed leaves the track as it was, so the app's resend is not taken for a duplicate.
import type { Redis } from 'ioredis';
import type { ValidEvent } from '../events/validate';
import { type Fix, type QualityRules, type RuleName, type TrackState, judgeTrack } from './fix-rules';

export const trackKey = (courierId: string) => `quality:track:${courierId}`;
/** A track not heard from for a day is forgotten (its next fix is judged alone). */
const TRACK_TTL_S = 86_400;

export interface Filtered {
  /** The event's index in the request. */
  index: number;
  rule: RuleName;
  field: string;
  message: string;
}

export interface Judged {
  kept: ValidEvent[];
  filtered: Filtered[];
  /** Remembers the kept pings as the couriers' tracks (after Kafka has them). */
  commit(): Promise<void>;
}

const fixOf = (event: Record<string, unknown>): Fix => ({
  occurredAt: event.occurredAt as number,
  lat: event.lat as number,
  lng: event.lng as number,
  ...(typeof event.accuracyM === 'number' ? { accuracyM: event.accuracyM } : {}),
});

export async function judgeEvents(redis: Redis, events: ValidEvent[], rules: QualityRules, now: number): Promise<Judged> {
  const byCourier = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.type !== 'courier.location') return;
    const courierId = String(e.event.courierId);
    const list = byCourier.get(courierId);
    if (list) list.push(i);
    else byCourier.set(courierId, [i]);
  });
  if (byCourier.size === 0) return { kept: events, filtered: [], commit: async () => undefined };
  const couriers = [...byCourier.keys()];
  const stored = await redis.mget(couriers.map(trackKey));
  const drop = new Set<number>();
  const filtered: Filtered[] = [];
  const changed: [string, TrackState][] = [];
  couriers.forEach((courierId, c) => {
    const indices = byCourier.get(courierId)!;
    const before = stored[c] ? (JSON.parse(stored[c]) as TrackState) : {};
    const { verdicts, state } = judgeTrack(indices.map((i) => fixOf(events[i]!.event)), before, rules, now);
    verdicts.forEach((v, k) => {
      if (v.ok) return;
      drop.add(indices[k]!);
      filtered.push({ index: indices[k]!, rule: v.rule, field: v.field, message: v.message });
    });
    if (JSON.stringify(state) !== stored[c]) changed.push([courierId, state]);
  });
  filtered.sort((a, b) => a.index - b.index);
  return {
    kept: drop.size === 0 ? events : events.filter((_, i) => !drop.has(i)),
    filtered,
    async commit() {
      if (changed.length === 0) return;
      const pipeline = redis.pipeline();
      for (const [courierId, state] of changed) pipeline.set(trackKey(courierId), JSON.stringify(state), 'EX', TRACK_TTL_S);
      await pipeline.exec();
    },
  };
}
