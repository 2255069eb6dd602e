// The simulated apps' side of the ingest API: the city's events, sent as the apps would send
// them (each sender with its own token, at most `maxBatch` events a request), and sent again
// as a real app does when the answer says to (429, 503, a lost connection, a proxy's 502 or
// 504, or an order change that reached us before the shop's assignment did). Used by
// `npm run simulate` and the soak, which records what was acknowledged.
import type { CityEvent } from './city';

export type SentEvent = CityEvent['event'];

export interface SenderOptions {
  /** The site's base URL (the proxy's, behind one). */
  base: string;
  /** The bearer token a sender's app carries. */
  tokenOf: (sender: CityEvent['by']) => string;
  /**
   * Couriers' events sent by one fleet gateway (an integrator key) instead of their own apps:
   * all of them, or only their pings (order changes still from each courier's own app).
   */
  gateway?: 'all' | 'pings';
  maxBatch: number;
  maxInFlight?: number;
  retryMs?: number;
  /** Told of every answer: its status (0: no answer), the events it carried, and why they are refused for good if they are. */
  onAnswer?: (status: number, events: SentEvent[], answer: { ms: number; refusedFor?: string }) => void;
}

interface Request {
  token: string;
  events: SentEvent[];
  /** Times refused because an order it names was not yet recorded as the courier's. */
  early: number;
}

// The shop's assignment reaches the order worker a moment after the courier's app hears of
// it: an app whose status change came first sends it again, as a real one would.
const EARLY_RETRIES = 5;

export interface SenderStats {
  /** Events acknowledged (202). */
  sent: number;
  requests: number;
  /** Events refused for good (a 4xx other than 429, or an early change past its retries). */
  refused: number;
  retried: number;
  lastError: string;
}

export function createSender(options: SenderOptions) {
  const maxInFlight = options.maxInFlight ?? 64;
  const retryMs = options.retryMs ?? 1000;
  const stats: SenderStats = { sent: 0, requests: 0, refused: 0, retried: 0, lastError: '' };
  const queue: Request[] = [];
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let waiting = 0; // requests parked for a retry

  const later = (request: Request) => {
    stats.retried++;
    waiting++;
    setTimeout(() => {
      waiting--;
      queue.push(request);
      pump();
    }, retryMs);
  };

  function pump() {
    while (inFlight < maxInFlight && queue.length > 0) {
      const request = queue.shift()!;
      inFlight++;
      void send(request).finally(() => {
        inFlight--;
        pump();
        if (inFlight === 0 && queue.length === 0 && waiting === 0) idle?.();
      });
    }
  }

  async function send(request: Request): Promise<void> {
    let res: Response;
    const started = performance.now();
    try {
      res = await fetch(`${options.base}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
        body: JSON.stringify(request.events.length === 1 ? request.events[0] : request.events),
      });
    } catch (err) {
      stats.lastError = (err as Error).message;
      options.onAnswer?.(0, request.events, { ms: performance.now() - started });
      return later(request);
    }
    stats.requests++;
    const body = res.status === 202 ? '' : await res.text().catch(() => '');
    await res.body?.cancel().catch(() => undefined);
    const ms = performance.now() - started;
    if (res.status === 202) {
      stats.sent += request.events.length;
      options.onAnswer?.(res.status, request.events, { ms });
    } else if (res.status === 429 || res.status === 503 || res.status === 502 || res.status === 504) {
      // busy, Kafka away, or a proxy without an answer from behind it: the app keeps its events and sends them again
      options.onAnswer?.(res.status, request.events, { ms });
      later(request);
    } else if (res.status === 403 && request.early < EARLY_RETRIES && body.includes('"rule":"assignment"')) {
      options.onAnswer?.(res.status, request.events, { ms });
      later({ ...request, early: request.early + 1 });
    } else {
      stats.refused += request.events.length;
      stats.lastError = `${res.status} ${body.slice(0, 200)}`;
      const rule = /"rule":"([^"]+)"/.exec(body)?.[1];
      options.onAnswer?.(res.status, request.events, { ms, refusedFor: `${res.status}${rule ? ` ${rule}` : ''}` });
    }
  }

  return {
    stats,
    /** Requests waiting to be sent (not those parked for a retry). */
    get queued() {
      return queue.length;
    },
    /** Requests not answered for good yet: waiting, in flight, or parked for a retry. */
    get pending() {
      return queue.length + inFlight + waiting;
    },
    enqueue(events: CityEvent[]) {
      const bySender = new Map<string, SentEvent[]>();
      for (const { by, event } of events) {
        const viaGateway = by.kind === 'courier' && (options.gateway === 'all' || (options.gateway === 'pings' && event.type === 'courier.location'));
        const sender = viaGateway ? { kind: 'integrator' as const, id: 'fleet-gateway' } : by;
        const token = options.tokenOf(sender);
        const list = bySender.get(token);
        if (list) list.push(event);
        else bySender.set(token, [event]);
      }
      for (const [token, list] of bySender) {
        for (let i = 0; i < list.length; i += options.maxBatch) queue.push({ token, events: list.slice(i, i + options.maxBatch), early: 0 });
      }
      pump();
    },
    /** Resolves once every event handed over has had its last answer (retries included). */
    drained(): Promise<void> {
      if (inFlight === 0 && queue.length === 0 && waiting === 0) return Promise.resolve();
      return new Promise((resolve) => (idle = resolve));
    },
  };
}
