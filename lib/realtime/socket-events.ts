// The socket.io contract, shared by server and browser. Events are named domain:verb.
import type { CourierStatus } from '../couriers/courier-status';

export interface CourierPosition {
  courierId: string;
  lat: number;
  lng: number;
  occurredAt: number;
  orderId?: string;
  /** What the courier is doing, from its order's status when the frame left the server. */
  status?: CourierStatus;
}

import type { OrderNotification } from '../orders/apply-order-events';
import type { WindowFigures } from '../stats/window-store';

export type JoinAck = (result: { ok: true } | { ok: false; error: string }) => void;

/**
 * Joining an order's room. With `lastSeq`, the answer carries the notifications after it,
 * in order, or `reload` when too many were missed to replay.
 */
export type OrderJoinAck = (
  result: { ok: true; missed?: OrderNotification[]; reload?: true } | { ok: false; error: string },
) => void;

export interface ServerToClientEvents {
  /** Every courier that moved since the last frame (ops room), with its status, a few frames a second. */
  'positions:frame': (positions: CourierPosition[]) => void;
  /** The position of the courier carrying an order (that order's room). */
  'order:position': (position: CourierPosition) => void;
  /** A change of the order's status, numbered per order (seq 1, 2, …). */
  'order:notification': (notification: OrderNotification) => void;
  /** Unique-users windows emitted or updated (stats room), as the watermark passes them. */
  'stats:windows': (windows: WindowFigures[]) => void;
}

export interface ClientToServerEvents {
  'ops:join': (ack?: JoinAck) => void;
  'stats:join': (ack?: JoinAck) => void;
  'order:join': (request: { orderId: string; token: string; lastSeq?: number }, ack?: OrderJoinAck) => void;
}
