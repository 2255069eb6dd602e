'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { getOpsJson } from '../../components/get-ops-json';

interface Step {
  eventId: string;
  status: string;
  occurredAt: string;
  reason?: string | null;
  receivedAt?: string;
}
interface Inspection {
  orderId: string;
  order: { status: string; courierId: string | null; lastSeq: number; closedAt: string | null } | null;
  history: Step[];
  received: Step[];
  anomalies: Step[];
}

const at = (iso: string) => new Date(iso).toLocaleString();

function Steps({ steps, testId, withReason }: { steps: Step[]; testId: string; withReason?: boolean }) {
  if (steps.length === 0) return <p className="muted">None.</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Status</th>
          <th>Happened</th>
          {withReason ? <th>Why refused</th> : <th>Event</th>}
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <tr key={s.eventId}>
            <td>{s.status}</td>
            <td>{at(s.occurredAt)}</td>
            <td>{withReason ? s.reason : s.eventId}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `initialOrderId`: the order to show at once (from /ops/orders?id=…, as the map links to it). */
export function OrderInspector({ initialOrderId = '' }: { initialOrderId?: string }) {
  const [draft, setDraft] = useState(initialOrderId);
  const [orderId, setOrderId] = useState(initialOrderId);
  const inspection = useQuery({
    queryKey: ['ops-order', orderId],
    queryFn: () => getOpsJson<Inspection>(`/api/ops/orders/${encodeURIComponent(orderId)}`),
    enabled: orderId !== '',
    retry: false,
    refetchInterval: 3000, // the order may still be moving

  });
  const recent = useQuery({
    queryKey: ['ops-anomalies'],
    queryFn: () => getOpsJson<{ anomalies: (Step & { orderId: string })[] }>('/api/ops/anomalies'),
    refetchInterval: 5000,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOrderId(draft.trim());
  };
  const data = inspection.data;
  return (
    <>
      <form onSubmit={submit} className="search">
        <label htmlFor="order-id">Order id</label>{' '}
        <input id="order-id" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="o-1234" />{' '}
        <button type="submit">Find</button>
      </form>
      {inspection.error ? <p role="alert">{inspection.error.message}</p> : null}
      {data ? (
        <section data-testid="inspection">
          <h2>
            {data.orderId}: <span data-testid="ops-order-status">{data.order?.status ?? 'not created'}</span>
          </h2>
          <p className="muted">
            courier {data.order?.courierId ?? '—'} · {data.order?.lastSeq ?? 0} notifications sent
            {data.order?.closedAt ? ` · closed ${at(data.order.closedAt)}` : ''}
          </p>
          <h3>Timeline</h3>
          <Steps steps={data.history} testId="ops-timeline" />
          <h3>Refused</h3>
          <Steps steps={data.anomalies} testId="ops-anomalies" withReason />
          <h3>Every event received ({data.received.length})</h3>
          <Steps steps={data.received} testId="ops-received" />
        </section>
      ) : null}
      <h2>Recently refused</h2>
      {recent.data && recent.data.anomalies.length > 0 ? (
        <table data-testid="recent-anomalies">
          <thead>
            <tr>
              <th>Order</th>
              <th>Status</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {recent.data.anomalies.map((a) => (
              <tr key={a.eventId}>
                <td>
                  <button type="button" className="link" onClick={() => (setDraft(a.orderId), setOrderId(a.orderId))}>
                    {a.orderId}
                  </button>
                </td>
                <td>{a.status}</td>
                <td>{a.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">Nothing refused lately.</p>
      )}
    </>
  );
}
