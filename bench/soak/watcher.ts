// A customer's app through the proxy for the whole soak: one socket.io client (polling first,
// then upgraded, as the client library does by default, so the proxy's sticky sessions are
// exercised) following several orders. As the order page does, it rejoins after every
// reconnect with the last number it has, and takes a notification once: one it has is
// skipped, one past a gap makes it ask for the missed ones.
import { type Socket, io } from 'socket.io-client';
import type { OrderNotification } from '../../lib/orders/apply-order-events';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/socket-events';

interface Followed {
  token: string;
  /** seq → status, as the client holds them. */
  have: Map<number, string>;
  last: number;
}

export class Watcher {
  readonly orders = new Map<string, Followed>();
  readonly stats = { connects: 0, disconnects: 0, duplicates: 0, gaps: 0, reloads: 0, joinErrors: 0, connectErrors: 0 };
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(base: string) {
    // withCredentials: the Node client keeps cookies (the proxy's sticky one) only then
    this.socket = io(base, { withCredentials: true, reconnectionDelay: 500, reconnectionDelayMax: 2000 });
    this.socket.on('connect', () => {
      this.stats.connects++;
      for (const orderId of this.orders.keys()) this.join(orderId);
    });
    this.socket.on('disconnect', () => this.stats.disconnects++);
    this.socket.on('connect_error', () => this.stats.connectErrors++);
    this.socket.on('order:notification', (n) => this.take(n));
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  follow(orderId: string, token: string): void {
    if (this.orders.has(orderId)) return;
    this.orders.set(orderId, { token, have: new Map(), last: 0 });
    if (this.socket.connected) this.join(orderId);
  }

  private join(orderId: string): void {
    const order = this.orders.get(orderId)!;
    this.socket.emit('order:join', { orderId, token: order.token, lastSeq: order.last }, (ack) => {
      if (!ack.ok) {
        // an order created a moment ago may not be recorded yet: asked again, as the page reloads
        this.stats.joinErrors++;
        setTimeout(() => this.socket.connected && this.join(orderId), 1000);
        return;
      }
      if (ack.reload) this.stats.reloads++;
      for (const n of ack.missed ?? []) this.take(n);
    });
  }

  private take(n: OrderNotification): void {
    const order = this.orders.get(n.orderId);
    if (!order) return;
    if (n.seq <= order.last) {
      this.stats.duplicates++;
      return;
    }
    if (n.seq > order.last + 1) {
      this.stats.gaps++;
      this.join(n.orderId); // the missed ones, then this one again
      return;
    }
    order.have.set(n.seq, n.status);
    order.last = n.seq;
  }

  close(): void {
    this.socket.close();
  }
}
