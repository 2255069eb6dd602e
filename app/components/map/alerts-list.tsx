// The map's alerts: stalled couriers (found in the browser from the live positions) and late
// orders (from GET /api/ops/alerts). Choosing one focuses its courier on the map.
import type { StalledCourier } from '@/lib/map/stalled-couriers';
import type { LateOrder } from '@/lib/orders/list-late-orders';
import { STATE_LABELS } from './colours';

export const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min`;

export interface AlertsListProps {
  stalled: { couriers: StalledCourier[]; total: number };
  stalledAfterMs: number | null;
  late: { orders: LateOrder[]; total: number; lateAfterMs: number } | null;
  lateError: string | null;
  /** Whether the map knows the courier (an order's courier may never have pinged). */
  onMap: (courierId: string) => boolean;
  onFocus: (courierId: string) => void;
}

export function AlertsList({ stalled, stalledAfterMs, late, lateError, onMap, onFocus }: AlertsListProps) {
  return (
    <section className="map-alerts" data-testid="map-alerts" aria-label="Alerts">
      <h2>
        Stalled couriers <span className="muted">{stalled.total}</span>
      </h2>
      {stalledAfterMs ? <p className="muted small">On an order, not moved 50 m in {minutes(stalledAfterMs)}.</p> : null}
      <ul data-testid="stalled-couriers">
        {stalled.couriers.map((c) => (
          <li key={c.courierId}>
            <button type="button" className="link" onClick={() => onFocus(c.courierId)}>
              {c.courierId}
            </button>{' '}
            <span className="muted">
              {STATE_LABELS[c.status]} · still {minutes(c.stillForMs)}
            </span>
          </li>
        ))}
      </ul>
      <h2>
        Late orders <span className="muted">{late?.total ?? '…'}</span>
      </h2>
      {late ? <p className="muted small">Open more than {minutes(late.lateAfterMs)} after they were placed.</p> : null}
      {lateError ? <p role="alert">{lateError}</p> : null}
      <ul data-testid="late-orders">
        {late?.orders.map((o) => (
          <li key={o.orderId}>
            {o.courierId && onMap(o.courierId) ? (
              <button type="button" className="link" onClick={() => onFocus(o.courierId!)}>
                {o.orderId}
              </button>
            ) : (
              <a href={`/ops/orders?id=${encodeURIComponent(o.orderId)}`}>{o.orderId}</a>
            )}{' '}
            <span className="muted">
              {o.status.replace('_', ' ')} · {minutes(o.ageMs)}
              {o.courierId ? ` · ${o.courierId}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
