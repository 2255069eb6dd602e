// The socket.io contract, shared by server and browser. Events are named domain:verb.

export interface CourierPosition {
  courierId: string;
  lat: number;
  lng: number;
  occurredAt: number;
  orderId?: string;
}

export interface ServerToClientEvents {
  'positions:frame': (positions: CourierPosition[]) => void;
}

export interface ClientToServerEvents {
  'ops:join': () => void;
}
