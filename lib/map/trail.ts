// A courier's trail: its recent fixes in time order, kept live from the frames, and the
// replay of its history (a clock running at 1×–60× over the fixes).

export interface TrailPoint {
  lat: number;
  lng: number;
  occurredAt: number;
}

/** Adds a live fix to the trail (in place) unless it is not newer than the last, and drops points older than keepMs before it. */
export function appendToTrail(trail: TrailPoint[], point: TrailPoint, keepMs: number): TrailPoint[] {
  const last = trail.at(-1);
  if (last && point.occurredAt <= last.occurredAt) return trail;
  trail.push(point);
  const cutoff = point.occurredAt - keepMs;
  const keepFrom = trail.findIndex((p) => p.occurredAt >= cutoff);
  if (keepFrom > 0) trail.splice(0, keepFrom);
  return trail;
}

/** Index of the last point at or before `t` (-1 before the first). */
export function pointBefore(trail: readonly TrailPoint[], t: number): number {
  let lo = 0;
  let hi = trail.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (trail[mid]!.occurredAt <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Where the courier was at `t`: between two fixes in a straight line; before the first or after the last, there. */
export function positionAt(trail: readonly TrailPoint[], t: number): { lat: number; lng: number } | null {
  if (trail.length === 0) return null;
  const i = pointBefore(trail, t);
  if (i < 0) return { lat: trail[0]!.lat, lng: trail[0]!.lng };
  const a = trail[i]!;
  const b = trail[i + 1];
  if (!b) return { lat: a.lat, lng: a.lng };
  const k = (t - a.occurredAt) / (b.occurredAt - a.occurredAt);
  return { lat: a.lat + (b.lat - a.lat) * k, lng: a.lng + (b.lng - a.lng) * k };
}

export const REPLAY_SPEEDS = [1, 4, 16, 60] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

export interface Replay {
  from: number;
  to: number;
  /** The replayed moment (ms, the fixes' clock). */
  at: number;
  speed: ReplaySpeed;
  playing: boolean;
}

/** A replay of the whole trail, paused at its start; null for an empty trail. */
export function replayOf(trail: readonly TrailPoint[], speed: ReplaySpeed = 16): Replay | null {
  if (trail.length === 0) return null;
  const from = trail[0]!.occurredAt;
  return { from, to: trail.at(-1)!.occurredAt, at: from, speed, playing: false };
}

/** The replay `elapsedMs` of wall time later: it stops at the end. */
export function advanceReplay(replay: Replay, elapsedMs: number): Replay {
  if (!replay.playing) return replay;
  const at = Math.min(replay.to, replay.at + elapsedMs * replay.speed);
  return { ...replay, at, playing: at < replay.to };
}

/** Plays from where it is, or from the start once it reached the end. */
export function playReplay(replay: Replay): Replay {
  return { ...replay, at: replay.at >= replay.to ? replay.from : replay.at, playing: true };
}
