// The data-quality rules a ping (a fix) must pass before it is stored, as Traccar's filters
// (filter.duplicate, filter.accuracy, filter.zero, filter.maxSpeed, filter.future,
// filter.past) judge them. Pure: the courier's last accepted fix and the new one in, a verdict
// out. A fix that fails is filtered: not stored, counted by rule, and answered as its API says
// (the OsmAnd protocol: 200, so the app does not send it forever; the JSON API: listed in its
// 202). Thresholds are per source (lib/quality/sources.ts).

export interface QualityRules {
  /** A fix at the same time as the courier's last one. */
  duplicate: boolean;
  /** Exactly 0, 0: a tracker with no fix. */
  zero: boolean;
  /** Horizontal accuracy worse than this, metres (none: any). */
  maxAccuracyM?: number;
  /** Speed implied by the distance from the last fix over the time between, km/h (none: any). */
  maxSpeedKmh?: number;
  /** How far ahead of the server's clock a fix may be, seconds. */
  maxFutureS: number;
  /** How far behind it, seconds (none: any). */
  maxPastS?: number;
}

export const RULE_NAMES = ['duplicate', 'zero', 'accuracy', 'teleport', 'future', 'past'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface Fix {
  occurredAt: number;
  lat: number;
  lng: number;
  accuracyM?: number;
}

export type Verdict = { ok: true } | { ok: false; rule: RuleName; field: string; message: string };

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

const refuse = (rule: RuleName, field: string, message: string): Verdict => ({ ok: false, rule, field, message });

/** `last`: the courier's newest accepted fix, if any. */
export function judgeFix(fix: Fix, last: Fix | undefined, rules: QualityRules, now: number): Verdict {
  if (rules.zero && fix.lat === 0 && fix.lng === 0) return refuse('zero', '/lat', 'the position is 0, 0: the tracker has no fix');
  if (fix.occurredAt > now + rules.maxFutureS * 1000) return refuse('future', '/occurredAt', `the fix is more than ${rules.maxFutureS}s ahead of the server's clock`);
  if (rules.maxPastS !== undefined && fix.occurredAt < now - rules.maxPastS * 1000) return refuse('past', '/occurredAt', `the fix is more than ${rules.maxPastS}s old`);
  if (rules.maxAccuracyM !== undefined && fix.accuracyM !== undefined && fix.accuracyM > rules.maxAccuracyM) {
    return refuse('accuracy', '/accuracyM', `the fix is accurate to ${Math.round(fix.accuracyM)} m, worse than ${rules.maxAccuracyM} m`);
  }
  if (!last) return { ok: true };
  if (rules.duplicate && fix.occurredAt === last.occurredAt) return refuse('duplicate', '/occurredAt', 'a fix at the same time as the last one');
  if (rules.maxSpeedKmh !== undefined) {
    const seconds = Math.abs(fix.occurredAt - last.occurredAt) / 1000;
    const kmh = (distanceM(fix, last) / 1000 / Math.max(seconds, 0.001)) * 3600;
    if (kmh > rules.maxSpeedKmh) return refuse('teleport', '/lat', `the fix implies ${Math.round(kmh)} km/h from the last one, more than ${rules.maxSpeedKmh}`);
  }
  return { ok: true };
}

/** What the gate remembers of a courier: its newest accepted fix, and the last one refused as a teleport. */
export interface TrackState {
  last?: Fix;
  /** Refused as a teleport: if the next fix agrees with it, the last accepted one was the wrong one. */
  suspect?: Fix;
}

/**
 * A courier's fixes judged in turn, each against the newest accepted before it (a fix that is
 * filtered does not become the last one). A teleport followed by a fix that agrees with it
 * (no teleport between the two) means the accepted fix before was the bad one: the second is
 * accepted, so one bad fix cannot shut a courier out. Returns each verdict and the new state.
 */
export function judgeTrack(fixes: Fix[], state: TrackState, rules: QualityRules, now: number): { verdicts: Verdict[]; state: TrackState } {
  let { last, suspect } = state;
  const verdicts = fixes.map((fix): Verdict => {
    let verdict = judgeFix(fix, last, rules, now);
    if (!verdict.ok && verdict.rule === 'teleport') {
      const agrees = suspect !== undefined && judgeFix(fix, suspect, { ...rules, duplicate: false }, now).ok;
      if (!agrees) {
        suspect = fix;
        return verdict;
      }
      verdict = { ok: true };
    }
    if (verdict.ok) {
      suspect = undefined;
      if (!last || fix.occurredAt > last.occurredAt) last = fix;
    }
    return verdict;
  });
  return { verdicts, state: { ...(last ? { last } : {}), ...(suspect ? { suspect } : {}) } };
}
