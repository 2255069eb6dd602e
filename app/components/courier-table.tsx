'use client';

import { useQuery } from '@tanstack/react-query';
import type { CourierSnapshot } from '@/lib/couriers/list-couriers';
import { getOpsJson } from './get-ops-json';

interface Snapshot {
  couriers: CourierSnapshot[];
  at: number;
}

const fetchCouriers = () => getOpsJson<Snapshot>('/api/couriers');

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

export function CourierTable() {
  const { data, error, isPending } = useQuery({ queryKey: ['couriers'], queryFn: fetchCouriers, refetchInterval: 2000 });
  if (isPending) return <p className="muted">Loading couriers…</p>;
  if (error) return <p role="alert">Could not load couriers: {error.message}</p>;
  const couriers = [...data.couriers].sort((a, b) => a.courierId.localeCompare(b.courierId));
  return (
    <>
      <p>
        <span className="badge" data-testid="courier-count">{couriers.length} couriers</span>
      </p>
      <table>
        <thead>
          <tr>
            <th>Courier</th>
            <th>Status</th>
            <th>Order</th>
            <th>Latitude</th>
            <th>Longitude</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {couriers.map((c) => (
            <tr key={c.courierId} data-testid={`courier-${c.courierId}`}>
              <td>{c.courierId}</td>
              <td>{c.stale ? 'stale' : c.status}</td>
              <td>{c.orderId ?? '—'}</td>
              <td>{c.lat.toFixed(5)}</td>
              <td>{c.lng.toFixed(5)}</td>
              <td>{age(c.ageMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
