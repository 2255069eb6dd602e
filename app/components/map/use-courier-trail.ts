// The selected courier's live trail: its last ten minutes from the location history, then
// every fix the live frames bring, drawn on the map's canvas.
import { useEffect, useState } from 'react';
import type { CourierTrail } from '@/lib/couriers/read-trail';
import { type TrailPoint, appendToTrail } from '@/lib/map/trail';
import type { CourierPosition } from '@/lib/realtime/socket-events';
import { getOpsJson } from '../get-ops-json';
import type { CourierLayer } from './courier-layer';
import { worldPath } from './paint';

export const LIVE_TRAIL_MS = 10 * 60_000;

export type FrameListener = (frame: CourierPosition[]) => void;
export type SubscribeToFrames = (listener: FrameListener) => () => void;

export const trailUrl = (courierId: string, since: number) => `/api/couriers/${encodeURIComponent(courierId)}/trail?since=${new Date(since).toISOString()}`;
export const toTrailPoints = (trail: CourierTrail): TrailPoint[] => trail.points.map(({ lat, lng, occurredAt }) => ({ lat, lng, occurredAt }));

/** How many fixes the trail has, or why it could not be read. */
export function useCourierTrail(courierId: string, layer: CourierLayer | null, subscribe: SubscribeToFrames, serverNow: () => number) {
  const [state, setState] = useState<{ courierId: string; count: number; error: string | null } | null>(null);
  useEffect(() => {
    if (!layer) return;
    let trail: TrailPoint[] = [];
    let stopped = false;
    const show = () => {
      layer.trail = worldPath(trail);
      layer.requestRedraw();
      setState({ courierId, count: trail.length, error: null });
    };
    const unsubscribe = subscribe((frame) => {
      const fix = frame.find((p) => p.courierId === courierId);
      if (!fix) return;
      appendToTrail(trail, { lat: fix.lat, lng: fix.lng, occurredAt: fix.occurredAt }, LIVE_TRAIL_MS);
      show();
    });
    getOpsJson<CourierTrail>(trailUrl(courierId, serverNow() - LIVE_TRAIL_MS)).then(
      (history) => {
        if (stopped) return;
        const points = toTrailPoints(history);
        const last = points.at(-1)?.occurredAt ?? -Infinity;
        // the live fixes that arrived meanwhile follow the history
        trail = [...points, ...trail.filter((p) => p.occurredAt > last)];
        show();
      },
      (err: unknown) => {
        if (!stopped) setState({ courierId, count: trail.length, error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      stopped = true;
      unsubscribe();
      layer.trail = null;
      layer.requestRedraw();
    };
  }, [courierId, layer, subscribe, serverNow]);
  return state?.courierId === courierId ? state : null;
}
