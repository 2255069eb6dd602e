'use client';

// The customer's view of one order: the snapshot first, then every change pushed over
// socket.io. Sequence numbers make it exact: after a reconnect the client asks for what
// followed the last one it saw, and drops anything it has already applied.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { OrderNotification } from '@/lib/orders/apply-order-events';
import type { OrderSnapshot } from '@/lib/orders/read-order';
import type { ClientToServerEvents, CourierPosition, ServerToClientEvents } from '@/lib/realtime/socket-events';
import { Toasts, useToasts } from '../../components/toasts';

const OrderMap = dynamic(() => import('./order-map'), { ssr: false, loading: () => <div className="order-map" /> });

export const STATUS_TEXT: Record<OrderSnapshot['status'], string> = {
  created: 'Order placed',
  confirmed: 'Order confirmed',
  picked_up: 'Picked up by the courier',
  in_transit: 'On its way',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  failed: 'Delivery failed',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function fetchOrder(orderId: string, token: string): Promise<OrderSnapshot> {
  const res = await fetch(`/api/orders/${encodeURIComponent(orderId)}?t=${encodeURIComponent(token)}`);
  const body = (await res.json()) as OrderSnapshot & { error?: { message: string } };
  if (!res.ok) throw new HttpError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Problem({ status, message }: { status: number; message: string }) {
  const title = status === 404 ? 'We could not find this order' : status === 401 || status === 403 ? 'This tracking link does not work' : 'Something went wrong';
  return (
    <section className="problem" data-testid="order-problem">
      <h1>{title}</h1>
      <p className="muted">{message}</p>
      <p className="muted">Check that you opened the whole link from your message, or ask the shop for a new one.</p>
    </section>
  );
}

export function OrderTracker({ orderId, token }: { orderId: string; token: string }) {
  const queryClient = useQueryClient();
  const { data, error } = useQuery({ queryKey: ['order', orderId], queryFn: () => fetchOrder(orderId, token), retry: false });
  const { toasts, push } = useToasts();
  const [courier, setCourier] = useState<CourierPosition | null>(null);
  const [live, setLive] = useState<'connecting' | 'live' | 'offline' | 'refused'>('connecting');
  const lastSeq = useRef(0);
  const loaded = data !== undefined;

  useEffect(() => {
    if (data) lastSeq.current = Math.max(lastSeq.current, data.lastSeq);
  }, [data]);

  useEffect(() => {
    if (!loaded) return;
    const key = ['order', orderId];
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket'] });
    const apply = (n: OrderNotification) => {
      if (n.seq <= lastSeq.current) return; // seen already
      if (n.seq > lastSeq.current + 1) {
        // a gap: the snapshot has it all
        void queryClient.invalidateQueries({ queryKey: key });
        return;
      }
      lastSeq.current = n.seq;
      queryClient.setQueryData<OrderSnapshot>(key, (old) =>
        old && {
          ...old,
          status: n.status,
          lastSeq: n.seq,
          timeline: [...old.timeline, { seq: n.seq, status: n.status, occurredAt: n.occurredAt, ...(n.reason ? { reason: n.reason } : {}) }],
        },
      );
      push(n.reason ? `${STATUS_TEXT[n.status]}: ${n.reason}` : STATUS_TEXT[n.status]);
    };
    socket.on('connect', () => {
      socket.emit('order:join', { orderId, token, lastSeq: lastSeq.current }, (ack) => {
        if (!ack.ok) {
          setLive('refused');
          return;
        }
        setLive('live');
        if (ack.reload) void queryClient.invalidateQueries({ queryKey: key });
        for (const n of ack.missed ?? []) apply(n);
      });
    });
    socket.on('disconnect', () => setLive('offline'));
    socket.on('order:notification', apply);
    socket.on('order:position', setCourier);
    // The browser knows it is offline before a heartbeat would: reconnect as soon as it is back.
    const offline = () => socket.disconnect();
    const online = () => socket.connect();
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      socket.disconnect();
    };
  }, [loaded, orderId, token, queryClient, push]);

  if (error) return <Problem status={error instanceof HttpError ? error.status : 0} message={error.message} />;
  if (!data) return <p className="muted">Loading your order…</p>;

  const position = courier ?? data.courier;
  const onTheWay = data.status === 'picked_up' || data.status === 'in_transit';
  return (
    <>
      <header className="order-head">
        <p className="muted">Order {data.orderId}</p>
        <h1 data-testid="order-status">{STATUS_TEXT[data.status]}</h1>
        <p className={`live live-${live}`} data-testid="live-state">
          {live === 'live' ? 'Live' : live === 'offline' ? 'Reconnecting…' : live === 'refused' ? 'Live updates unavailable' : 'Connecting…'}
        </p>
      </header>
      {onTheWay && position ? <OrderMap courier={position} dropoff={data.dropoff} /> : null}
      <ol className="timeline" data-testid="timeline">
        {data.timeline.map((step) => (
          <li key={step.seq} data-testid={`step-${step.status}`}>
            <span className="when">{time(step.occurredAt)}</span>
            <span>{STATUS_TEXT[step.status]}</span>
            {step.reason ? <span className="muted"> — {step.reason}</span> : null}
          </li>
        ))}
      </ol>
      <Toasts toasts={toasts} />
    </>
  );
}
