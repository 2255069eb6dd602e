// The socket.io contract, shared by server and browser. Events are named domain:verb.

export interface CourierPosition {
  courierId: string;
  lat: number;
  lng: number;
  occurredAt: number;
  orderId?: string;
}

export type JoinAck = (result: { ok: true } | { ok: false; error: string }) => void;

export interface ServerToClientEvents {
  /** Every courier that moved since the last frame (ops room), a few frames a second. */
  'positions:frame': (positions: CourierPosition[]) => void;
  /** The position of the courier carrying an order (that order's room). */
  'order:position': (position: CourierPosition) => void;
}

export interface ClientToServerEvents {
  'ops:join': (ack?: JoinAck) => void;
  'order:join': (request: { orderId: string; token: string }, ack?: JoinAck) => void;
}
