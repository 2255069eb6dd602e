// Replays a courier's history on the map: the path of the chosen window, and a marker running
// along it at 1×–60×, with play, pause, speed and seek. The clock advances in the canvas
// layer's animation frames; React shows where it is four times a second.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CourierTrail } from '@/lib/couriers/read-trail';
import { worldX, worldY } from '@/lib/map/mercator';
import { type Replay, type ReplaySpeed, type TrailPoint, advanceReplay, playReplay, pointBefore, positionAt, replayOf } from '@/lib/map/trail';
import { getOpsJson } from '../get-ops-json';
import type { CourierLayer } from './courier-layer';
import { worldPath } from './paint';
import { toTrailPoints, trailUrl } from './use-courier-trail';

export const REPLAY_WINDOWS = [
  { label: '10 min', ms: 10 * 60_000 },
  { label: '1 h', ms: 60 * 60_000 },
  { label: '6 h', ms: 6 * 60 * 60_000 },
] as const;

export function useReplay(courierId: string, layer: CourierLayer | null, serverNow: () => number) {
  const [points, setPoints] = useState<TrailPoint[] | null>(null);
  const [shown, setShown] = useState<Replay | null>(null);
  const [status, setStatus] = useState<{ loading: boolean; error: string | null }>({ loading: false, error: null });
  const replay = useRef<Replay | null>(null);
  /** performance.now() of the last frame that played; null after a pause, so a pause is not replayed. */
  const playedAt = useRef<number | null>(null);

  const change = useCallback(
    (next: Replay | null) => {
      replay.current = next;
      playedAt.current = null;
      setShown(next);
      layer?.requestRedraw();
    },
    [layer],
  );

  const load = useCallback(
    async (windowMs: number) => {
      setStatus({ loading: true, error: null });
      try {
        const history = toTrailPoints(await getOpsJson<CourierTrail>(trailUrl(courierId, serverNow() - windowMs)));
        setStatus({ loading: false, error: history.length === 0 ? 'no fixes in that window' : null });
        setPoints(history.length > 0 ? history : null);
        const start = replayOf(history, replay.current?.speed ?? 16);
        change(start && playReplay(start));
      } catch (err) {
        setStatus({ loading: false, error: err instanceof Error ? err.message : String(err) });
      }
    },
    [courierId, serverNow, change],
  );

  useEffect(() => {
    if (!layer || !points) return;
    layer.replayPath = worldPath(points);
    layer.beforeDraw = (now) => {
      const current = replay.current;
      if (!current) return false;
      const next = advanceReplay(current, playedAt.current === null ? 0 : now - playedAt.current);
      playedAt.current = next.playing ? now : null;
      replay.current = next;
      const at = positionAt(points, next.at)!;
      layer.replayHead = { x: worldX(at.lng), y: worldY(at.lat), upTo: Math.max(0, pointBefore(points, next.at)) };
      return next.playing;
    };
    layer.requestRedraw();
    const display = setInterval(() => setShown(replay.current), 250);
    return () => {
      clearInterval(display);
      layer.beforeDraw = null;
      layer.replayPath = null;
      layer.replayHead = null;
      layer.requestRedraw();
    };
  }, [layer, points]);

  /** Changes the replay as it is when called (not as it was when the page last rendered). */
  const update = (how: (r: Replay) => Replay) => {
    if (replay.current) change(how(replay.current));
  };
  return {
    replay: shown,
    points: points?.length ?? 0,
    ...status,
    load,
    play: () => update(playReplay),
    pause: () => update((r) => ({ ...r, playing: false })),
    setSpeed: (speed: ReplaySpeed) => update((r) => ({ ...r, speed })),
    seek: (at: number) => update((r) => ({ ...r, at: Math.min(r.to, Math.max(r.from, at)) })),
    stop: () => {
      setPoints(null);
      change(null);
    },
  };
}
