// The chosen courier: its state, last fix, order (with the order's status from the ops API),
// its live trail on the map, and the replay of its history.
import { useQuery } from '@tanstack/react-query';
import { type CourierStore, DRAWN_STATES } from '@/lib/map/courier-store';
import { REPLAY_SPEEDS } from '@/lib/map/trail';
import type { OrderInspection } from '@/lib/orders/inspect-order';
import { getOpsJson } from '../get-ops-json';
import { STATE_COLOURS, STATE_LABELS } from './colours';
import type { CourierLayer } from './courier-layer';
import { LIVE_TRAIL_MS, type SubscribeToFrames, useCourierTrail } from './use-courier-trail';
import { REPLAY_WINDOWS, useReplay } from './use-replay';

export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export interface CourierPanelProps {
  courierId: string;
  store: CourierStore;
  layer: CourierLayer | null;
  /** The server's clock now; the panel re-renders when it changes. */
  now: number;
  serverNow: () => number;
  subscribe: SubscribeToFrames;
  onClose: () => void;
}

/** `courierState`: the order is read again as soon as the courier's state changes. */
function OrderLine({ orderId, courierState }: { orderId: string; courierState: string }) {
  const order = useQuery({
    queryKey: ['ops-order', orderId, courierState],
    queryFn: () => getOpsJson<OrderInspection>(`/api/ops/orders/${encodeURIComponent(orderId)}`),
    refetchInterval: 5000,
    retry: false,
    placeholderData: (previous) => previous, // the status read before, while it is read again
  });
  return (
    <dd data-testid="panel-order">
      <a href={`/ops/orders?id=${encodeURIComponent(orderId)}`}>{orderId}</a>{' '}
      <span className="muted" data-testid="panel-order-status">
        {order.data ? (order.data.order?.status.replace('_', ' ') ?? 'not created') : order.error ? order.error.message : '…'}
      </span>
    </dd>
  );
}

function ReplayControls({ courierId, layer, serverNow }: Pick<CourierPanelProps, 'courierId' | 'layer' | 'serverNow'>) {
  const r = useReplay(courierId, layer, serverNow);
  const replay = r.replay;
  return (
    <section data-testid="replay">
      <h3>Replay</h3>
      <div className="replay-row" role="group" aria-label="Replay the last">
        {REPLAY_WINDOWS.map((w) => (
          <button key={w.label} type="button" onClick={() => void r.load(w.ms)} disabled={r.loading}>
            {w.label}
          </button>
        ))}
      </div>
      {r.error ? <p className="muted">{r.error}</p> : null}
      {replay ? (
        <>
          <div className="replay-row">
            <button type="button" onClick={replay.playing ? r.pause : r.play} data-testid="replay-toggle">
              {replay.playing ? 'Pause' : 'Play'}
            </button>
            <span role="group" aria-label="Speed">
              {REPLAY_SPEEDS.map((speed) => (
                <button key={speed} type="button" aria-pressed={replay.speed === speed} onClick={() => r.setSpeed(speed)}>
                  {speed}×
                </button>
              ))}
            </span>
            <button type="button" onClick={r.stop}>
              Close
            </button>
          </div>
          <input
            type="range"
            aria-label="Replay position"
            min={replay.from}
            max={replay.to}
            step={1}
            value={replay.at}
            onChange={(e) => r.seek(Number(e.target.value))}
          />
          <p className="muted small">
            <span data-testid="replay-at">{clock(replay.at)}</span> · {r.points} fixes from {clock(replay.from)} to {clock(replay.to)}
          </p>
        </>
      ) : null}
    </section>
  );
}

export function CourierPanel({ courierId, store, layer, now, serverNow, subscribe, onClose }: CourierPanelProps) {
  const trail = useCourierTrail(courierId, layer, subscribe, serverNow);
  const i = store.indexOf(courierId);
  if (i < 0) return null;
  const state = DRAWN_STATES[store.state[i]!]!;
  const orderId = store.orderIds[i];
  return (
    <aside className="courier-panel" data-testid="courier-panel" aria-label={`Courier ${courierId}`}>
      <header>
        <h2 data-testid="panel-courier">{courierId}</h2>
        <button type="button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <dl>
        <dt>State</dt>
        <dd data-testid="panel-state">
          <span className="dot" style={{ background: STATE_COLOURS[state] }} />
          {STATE_LABELS[state]}
          {state === 'stale' ? <span className="muted"> (was {STATE_LABELS[store.statusOf(i)]})</span> : null}
        </dd>
        <dt>Last fix</dt>
        <dd data-testid="panel-age">{age(now - store.fixAt[i]!)}</dd>
        <dt>Order</dt>
        {orderId ? <OrderLine orderId={orderId} courierState={store.statusOf(i)} /> : <dd className="muted">none</dd>}
        <dt>Trail</dt>
        <dd data-testid="panel-trail">
          {trail ? (trail.error ?? `${trail.count} fixes in the last ${LIVE_TRAIL_MS / 60_000} min`) : '…'}
        </dd>
      </dl>
      <ReplayControls key={courierId} courierId={courierId} layer={layer} serverNow={serverNow} />
    </aside>
  );
}
