// The simulated apps' side of the ingest API: the city's events, sent as the apps would send
// them (each sender with its own token, at most `maxBatch` events a request; a courier on a
// tracker app, its pings one by one over the OsmAnd protocol), and sent again
// as a real app does when the answer says to (429, 503, a lost connection, a proxy's 502 or
// 504, or an order change that reached us before the shop's assignment did). Used by
// `npm run simulate` and the soak, which records what was acknowledged.
import type { CourierLocationV2 } from '../events/schema-types.generated';
import { KNOT_MPS } from '../osmand/decode-osmand';
import { osmandEventId } from '../osmand/osmand-ping';
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
  /** The tracker device a courier's pings come from instead of its own app (the OsmAnd protocol), if any. */
  deviceOf?: (courierId: string) => { deviceId: string; secret: string } | undefined;
  /** Told of every answer: its status (0: no answer), the events it carried (as stored), whether they are acknowledged, why they are refused for good if they are. */
  onAnswer?: (answer: Answer) => void;
}

export interface Answer {
  status: number;
  events: SentEvent[];
  acknowledged: boolean;
  ms: number;
  refusedFor?: string;
}

interface Request {
  token: string;
  events: SentEvent[];
  /** An OsmAnd GET (one ping) instead of a POST to /api/events. */
  osmand?: string;
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

/**
 * A ping as OsmAnd's online tracking sends it (its default template, with the id added):
 * milliseconds, accuracy in hdop, speed read as knots; the event as it will be stored.
 */
function osmandRequest(ping: CourierLocationV2, device: { deviceId: string; secret: string }): Request {
  const q = [`id=${encodeURIComponent(device.deviceId)}`, `lat=${ping.lat}`, `lon=${ping.lng}`, `timestamp=${ping.occurredAt}`];
  if (ping.accuracyM !== undefined) q.push(`hdop=${ping.accuracyM}`);
  if (ping.speedMps !== undefined) q.push(`speed=${ping.speedMps / KNOT_MPS}`);
  if (ping.headingDeg !== undefined) q.push(`bearing=${ping.headingDeg}`);
  const stored = { ...ping, eventId: osmandEventId(device.deviceId, ping.occurredAt) };
  delete stored.orderId; // a tracker app knows no orders
  return { token: '', events: [stored], osmand: `/osmand/${encodeURIComponent(device.secret)}?${q.join('&')}`, early: 0 };
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
    const answer = (status: number, more: Partial<Answer> = {}) =>
      options.onAnswer?.({ status, events: request.events, acknowledged: false, ms: performance.now() - started, ...more });
    try {
      res = request.osmand
        ? await fetch(`${options.base}${request.osmand}`)
        : await fetch(`${options.base}/api/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
            body: JSON.stringify(request.events.length === 1 ? request.events[0] : request.events),
          });
    } catch (err) {
      stats.lastError = (err as Error).message;
      answer(0);
      return later(request);
    }
    stats.requests++;
    const acknowledged = res.status === (request.osmand ? 200 : 202);
    const body = acknowledged ? '' : await res.text().catch(() => '');
    await res.body?.cancel().catch(() => undefined);
    if (acknowledged) {
      stats.sent += request.events.length;
      answer(res.status, { acknowledged });
    } else if (res.status === 429 || res.status === 503 || res.status === 502 || res.status === 504) {
      // busy, Kafka away, or a proxy without an answer from behind it: the app keeps its events and sends them again
      answer(res.status);
      later(request);
    } else if (res.status === 403 && request.early < EARLY_RETRIES && body.includes('"rule":"assignment"')) {
      answer(res.status);
      later({ ...request, early: request.early + 1 });
    } else {
      stats.refused += request.events.length;
      stats.lastError = `${res.status} ${body.slice(0, 200)}`;
      const rule = /"rule":"([^"]+)"/.exec(body)?.[1];
      answer(res.status, { refusedFor: `${res.status}${rule ? ` ${rule}` : ''}` });
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
        const device = event.type === 'courier.location' ? options.deviceOf?.(event.courierId) : undefined;
        if (device && event.type === 'courier.location') {
          queue.push(osmandRequest(event, device));
          continue;
        }
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
