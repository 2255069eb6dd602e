'use client';

// The ops live map: counts by state, the map (every courier on one canvas), a tooltip on hover,
// the chosen courier's panel, and the alerts. The couriers live in one CourierStore fed by the
// snapshot and the live frames; React renders only the chrome around the map, about once a
// second, never a component per courier.
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useCallback, useEffect, useRef, useState } from 'react';
import { CourierStore, DRAWN_STATES, type StateCounts } from '@/lib/map/courier-store';
import { stalledCouriers } from '@/lib/map/stalled-couriers';
import type { OpsAlerts } from '@/lib/orders/list-late-orders';
import type { CourierPosition } from '@/lib/realtime/socket-events';
import { getOpsJson } from '../get-ops-json';
import { AlertsList } from './alerts-list';
import { STATE_LABELS } from './colours';
import { CourierPanel, age } from './courier-panel';
import type { CourierLayer } from './courier-layer';
import { MapLegend } from './map-legend';
import type { FrameListener } from './use-courier-trail';
import { useLiveCouriers } from './use-live-couriers';

const MapView = dynamic(() => import('./map-view'), { ssr: false, loading: () => <div className="ops-map-frame" /> });

const TICK_MS = 1000;
const ALERTS_POLL_MS = 15_000;

type Hover = { index: number; x: number; y: number };

export function OpsMap() {
  const [store] = useState(() => new CourierStore({ frameMs: 250 }));
  const [layer, setLayer] = useState<CourierLayer | null>(null);
  const layerRef = useRef<CourierLayer | null>(null);
  const listeners = useRef(new Set<FrameListener>());
  const [counts, setCounts] = useState<StateCounts>(store.counts);
  const [now, setNow] = useState(() => Date.now());
  const [hover, setHover] = useState<Hover | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [stalled, setStalled] = useState<ReturnType<typeof stalledCouriers>>({ couriers: [], total: 0 });

  const onUpdate = useCallback(
    (frame: CourierPosition[] | null) => {
      layerRef.current?.requestRedraw();
      setCounts(store.counts);
      if (frame) for (const listener of listeners.current) listener(frame);
    },
    [store],
  );
  const { settings, live, error, serverNow } = useLiveCouriers(store, onUpdate);
  const subscribe = useCallback((listener: FrameListener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  // Once a second: grey out the silent, recount, look for stalled couriers, move the ages on.
  useEffect(() => {
    const tick = setInterval(() => {
      if (settings && store.refreshStale(serverNow(), settings.staleAfterMs)) layerRef.current?.requestRedraw();
      setCounts(store.counts);
      if (settings) setStalled(stalledCouriers(store, settings.stalledAfterMs));
      setNow(serverNow());
    }, TICK_MS);
    return () => clearInterval(tick);
  }, [store, settings, serverNow]);

  const late = useQuery({ queryKey: ['ops-alerts'], queryFn: () => getOpsJson<OpsAlerts>('/api/ops/alerts'), refetchInterval: ALERTS_POLL_MS });

  const onLayer = useCallback((l: CourierLayer | null) => {
    layerRef.current = l;
    setLayer(l);
  }, []);
  const onPick = useCallback((index: number) => setSelected(store.ids[index] ?? null), [store]);
  const focus = useCallback(
    (courierId: string) => {
      const i = store.indexOf(courierId);
      if (i < 0) return;
      setSelected(courierId);
      layerRef.current?.focus(i);
    },
    [store],
  );
  const onMap = useCallback((courierId: string) => store.indexOf(courierId) >= 0, [store]);

  useEffect(() => {
    if (!layer) return;
    layer.selected = selected === null ? -1 : store.indexOf(selected);
    layer.requestRedraw();
  }, [layer, selected, store]);

  const hovered = hover ? store.ids[hover.index] : undefined;
  return (
    <div className="map-page-grid">
      <div className="map-top">
        <MapLegend counts={counts} live={live} staleAfterMs={settings?.staleAfterMs ?? null} />
        {error ? <p role="alert">Could not load couriers: {error}</p> : null}
      </div>
      <div className="ops-map" data-testid="ops-map">
        <MapView store={store} onLayer={onLayer} onHover={setHover} onPick={onPick} />
        {hover && hovered !== undefined ? (
          <div className="map-tooltip" data-testid="map-tooltip" style={{ left: hover.x + 14, top: hover.y + 14 }}>
            <strong>{hovered}</strong> · {STATE_LABELS[DRAWN_STATES[store.state[hover.index]!]!]} · {age(now - store.fixAt[hover.index]!)}
          </div>
        ) : null}
      </div>
      <div className="map-side">
        {selected ? (
          <CourierPanel
            courierId={selected}
            store={store}
            layer={layer}
            now={now}
            serverNow={serverNow}
            subscribe={subscribe}
            onClose={() => setSelected(null)}
          />
        ) : (
          <p className="muted small">Point at a courier for its state; click it for its order, trail and replay.</p>
        )}
        <AlertsList
          stalled={stalled}
          stalledAfterMs={settings?.stalledAfterMs ?? null}
          late={late.data ? { orders: late.data.lateOrders, total: late.data.lateTotal, lateAfterMs: late.data.lateAfterMs } : null}
          lateError={late.error?.message ?? null}
          onMap={onMap}
          onFocus={focus}
        />
      </div>
    </div>
  );
}
