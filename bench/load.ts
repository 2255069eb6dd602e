// Load generators run in their own process (bench/child.ts, role "load") so that building
// and posting requests never competes with the server's event loop: HTTP posts of ping
// batches to /api/events, the same pings straight to Kafka (the baseline), and a paced
// stream for the freshness benchmark. Everything is bounded by a count and by time.
import { Agent, request } from 'node:http';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { issueToken } from '../lib/auth/tokens';
import type { CourierLocationV1 } from '../lib/events/registry';
import { loadConfig } from '../lib/config';
import type { Redis } from 'ioredis';
import { SCHEMA_HEADER } from '../lib/kafka/client';
import { queueOrderStatus } from '../lib/orders/order-status-store';
import { kafkaSasl } from '../lib/kafka/credentials';

/** Monotonic milliseconds (CLOCK_MONOTONIC): comparable between processes on one machine. */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export const courierIdOf = (tag: string, n: number) => `c-${tag}-${n}`;
export const orderIdOf = (tag: string, n: number) => `o-${tag}-${n}`;

/**
 * Assigns order n to courier n for n < count, as the order worker records the shop's
 * assignment: a ping moves only an order assigned to its courier.
 */
export async function assignOrders(redis: Redis, tag: string, count: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (let n = 0; n < count; n++) queueOrderStatus(pipeline, { orderId: orderIdOf(tag, n), status: 'picked_up', at: Date.now(), courierId: courierIdOf(tag, n) });
  await pipeline.exec();
}

/** A v1 ping with the optional fields the benchmarks do not send left out. */
export type Ping = Pick<CourierLocationV1, 'type' | 'version' | 'eventId' | 'courierId' | 'orderId' | 'lat' | 'lng' | 'occurredAt'>;

/**
 * Builds valid courier.location v1 pings. `tag` makes courier, order and event ids unique
 * to the run (and eventIds unique to the phase); occurredAt only ever grows per courier.
 */
export class PingMaker {
  private seq = 0;
  private readonly last = new Map<number, number>();

  constructor(
    private readonly runTag: string,
    private readonly phaseTag: string,
    private readonly withOrders: boolean,
  ) {}

  make(courier: number, occurredAt: number): Ping {
    const previous = this.last.get(courier) ?? 0;
    const t = Math.max(Math.floor(occurredAt), previous + 1);
    this.last.set(courier, t);
    const step = this.seq++;
    const ping: Ping = {
      type: 'courier.location',
      version: 1,
      eventId: `e${this.phaseTag}-${step.toString(36).padStart(7, '0')}`,
      courierId: courierIdOf(this.runTag, courier),
      // moving with time at most 40 km/h (1 cm a millisecond, back and forth over 11 m), as a
      // courier does: the ingest's quality gate keeps a faster one out as a teleport
      lat: -23.55 + (courier % 200) / 1000 + drift(t),
      lng: -46.63 + Math.floor(courier / 200) / 1000 - drift(t),
      occurredAt: t,
    };
    if (this.withOrders) ping.orderId = orderIdOf(this.runTag, courier);
    return ping;
  }
}

/** Degrees off a courier's spot at `t` ms: 1e-7 a millisecond, back and forth over 1e-4. */
const drift = (t: number) => Math.abs((t % 2000) - 1000) / 1e7;

/**
 * How pings are grouped into requests. "courier": a phone that buffered `batch` of its own
 * pings (one courier per request, per-courier token). "mixed": an integrator forwarding one
 * ping each of `batch` different couriers.
 */
export type Grouping = 'courier' | 'mixed';

/** What a load looks like, over HTTP or straight to Kafka. */
export interface LoadShape {
  runTag: string;
  phaseTag: string;
  grouping: Grouping;
  /** Pings per request; 1 posts a single object instead of an array. */
  batch: number;
  concurrency: number;
  couriers: number;
  maxPings: number;
  maxSeconds: number;
  withOrders: boolean;
}

export interface HttpLoadArgs extends LoadShape {
  url: string;
  secret: string;
}

export interface LoadResult {
  requests: number;
  accepted: number;
  /** Pings a 202 answered as filtered by the quality gate (not stored). */
  filtered: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  startMs: number;
  endMs: number;
  /** Request latencies, ms (sorted). */
  latencies: number[];
}

function tokenCache(secret: string) {
  const tokens = new Map<string, string>();
  return (kind: 'courier' | 'integrator', id: string) => {
    const key = `${kind}:${id}`;
    let token = tokens.get(key);
    if (!token) tokens.set(key, (token = issueToken({ kind, id }, 6 * 60 * 60_000, secret)));
    return token;
  };
}

function poster(url: string, concurrency: number) {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`loopback only: ${url}`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  /** The answer's status, and for a 202 how many events it accepted (the quality gate may filter some). */
  const post = (body: string, token: string) =>
    new Promise<{ status: number; accepted?: number }>((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: '/api/events',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.once('end', () => {
            const status = res.statusCode ?? 0;
            if (status !== 202) return resolve({ status });
            resolve({ status, accepted: (JSON.parse(Buffer.concat(parts).toString('utf8')) as { accepted: number }).accepted });
          });
          res.once('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30s')));
      req.once('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/**
 * The pings of each request (or baseline send) in the grouping asked for, until maxPings or
 * maxSeconds: one source for the HTTP load and its baseline, so both send the same batches.
 */
function batchSource(args: LoadShape, startMs: number) {
  const maker = new PingMaker(args.runTag, args.phaseTag, args.withOrders);
  const deadline = startMs + args.maxSeconds * 1000;
  let reserved = 0;
  let request = 0;
  let courierCursor = 0;
  return (): { pings: Ping[]; courier?: number } | undefined => {
    if (reserved >= args.maxPings || monoMs() >= deadline) return undefined;
    const count = Math.min(args.batch, args.maxPings - reserved);
    reserved += count;
    const now = Date.now();
    const pings: Ping[] = [];
    if (args.grouping === 'courier') {
      const courier = request++ % args.couriers;
      // A phone's buffer: its pings 50 ms apart, the newest now.
      for (let i = 0; i < count; i++) pings.push(maker.make(courier, now - (count - 1 - i) * 50));
      return { pings, courier };
    }
    request++;
    for (let i = 0; i < count; i++) pings.push(maker.make(courierCursor++ % args.couriers, now));
    return { pings };
  };
}

/** Posts pings to POST /api/events with `concurrency` requests in flight until maxPings or maxSeconds. */
export async function httpLoad(args: HttpLoadArgs): Promise<LoadResult> {
  const { post, close } = poster(args.url, args.concurrency);
  const token = tokenCache(args.secret);
  const result: LoadResult = { requests: 0, accepted: 0, filtered: 0, statuses: {}, errors: 0, startMs: monoMs(), endMs: 0, latencies: [] };
  const nextBatch = batchSource(args, result.startMs);
  const next = (): { body: string; token: string; count: number } | undefined => {
    const batch = nextBatch();
    if (!batch) return undefined;
    const { pings, courier } = batch;
    const body = JSON.stringify(args.batch === 1 ? pings[0] : pings);
    const bearer = courier === undefined ? token('integrator', 'bench') : token('courier', courierIdOf(args.runTag, courier));
    return { body, token: bearer, count: pings.length };
  };

  const lane = async () => {
    for (let job = next(); job; job = next()) {
      const started = monoMs();
      try {
        const { status, accepted } = await post(job.body, job.token);
        result.latencies.push(monoMs() - started);
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (accepted !== undefined) {
          result.accepted += accepted;
          result.filtered += job.count - accepted;
        }
      } catch (err) {
        result.errors++;
        result.firstError ??= String(err);
        if (result.errors > 1000) return;
      }
      result.requests++;
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, lane));
  result.endMs = monoMs();
  close();
  result.latencies.sort((a, b) => a - b);
  return result;
}

export interface KafkaLoadArgs extends LoadShape {
  brokers: string[];
  topic: string;
}

/**
 * The baseline: the same pings, grouped the same way, sent straight to the topic by one
 * kafkajs producer configured as the server's (idempotent, acks=-1, one request in flight
 * per broker, the default partitioner), with the same number of sends in flight.
 */
export async function kafkaLoad(args: KafkaLoadArgs): Promise<LoadResult> {
  // straight to an ingest topic, which only the server's user may write: the admin
  const sasl = kafkaSasl(loadConfig(process.env).kafka, 'admin');
  const kafka = new Kafka({ brokers: args.brokers, sasl, clientId: 'bench-baseline', logLevel: logLevel.ERROR });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 4, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  await producer.connect();
  const result: LoadResult = { requests: 0, accepted: 0, filtered: 0, statuses: {}, errors: 0, startMs: monoMs(), endMs: 0, latencies: [] };
  const nextBatch = batchSource(args, result.startMs);
  const toMessage = (p: Ping) => ({ key: p.courierId, value: JSON.stringify(p), headers: { [SCHEMA_HEADER]: 'courier-location.v1' } });
  const next = () => nextBatch()?.pings.map(toMessage);

  const lane = async () => {
    for (let messages = next(); messages; messages = next()) {
      const started = monoMs();
      try {
        await producer.sendBatch({ topicMessages: [{ topic: args.topic, messages }], acks: -1, timeout: 10_000 });
        result.latencies.push(monoMs() - started);
        result.accepted += messages.length;
        result.statuses.ok = (result.statuses.ok ?? 0) + 1;
      } catch (err) {
        result.errors++;
        result.firstError ??= String(err);
        if (result.errors > 1000) return;
      }
      result.requests++;
    }
  };
  try {
    await Promise.all(Array.from({ length: args.concurrency }, lane));
    result.endMs = monoMs();
  } finally {
    await producer.disconnect();
  }
  result.latencies.sort((a, b) => a - b);
  return result;
}

export interface PacedArgs {
  url: string;
  secret: string;
  runTag: string;
  phaseTag: string;
  /** Pings per second to offer. */
  rate: number;
  batch: number;
  seconds: number;
  couriers: number;
  maxInFlight: number;
}

/** One request of the paced stream: request r carries couriers (r*batch + i) % couriers, i < batch, all at occurredAt. */
export interface PacedRequest {
  r: number;
  occurredAt: number;
  sentMs: number;
  doneMs: number;
  status: number;
}

export interface PacedResult {
  requests: PacedRequest[];
  errors: number;
  firstError?: string;
  /** Requests not sent on time because maxInFlight were outstanding. */
  late: number;
  startMs: number;
  endMs: number;
}

/** Offers `rate` pings/s in batches (integrator token, one ping per courier per request) for `seconds`. */
export async function pacedLoad(args: PacedArgs): Promise<PacedResult> {
  const { post, close } = poster(args.url, args.maxInFlight);
  const token = issueToken({ kind: 'integrator', id: 'bench' }, 60 * 60_000, args.secret);
  const maker = new PingMaker(args.runTag, args.phaseTag, false);
  const intervalMs = (args.batch / args.rate) * 1000;
  const total = Math.max(1, Math.floor((args.seconds * args.rate) / args.batch));
  const result: PacedResult = { requests: [], errors: 0, late: 0, startMs: monoMs(), endMs: 0 };
  const hardStop = result.startMs + args.seconds * 1000 + 30_000;
  const inFlight = new Set<Promise<void>>();
  let lastOccurredAt = 0;

  for (let r = 0; r < total && monoMs() < hardStop; r++) {
    const due = result.startMs + r * intervalMs;
    const wait = due - monoMs();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight.size >= args.maxInFlight) {
      result.late++;
      await Promise.race(inFlight);
    }
    const occurredAt = Math.max(Date.now(), lastOccurredAt + 1);
    lastOccurredAt = occurredAt;
    const pings: Ping[] = [];
    for (let i = 0; i < args.batch; i++) pings.push(maker.make((r * args.batch + i) % args.couriers, occurredAt));
    const body = JSON.stringify(pings);
    const record: PacedRequest = { r, occurredAt, sentMs: monoMs(), doneMs: 0, status: 0 };
    const job = post(body, token).then(
      ({ status }) => {
        record.doneMs = monoMs();
        record.status = status;
        result.requests.push(record);
      },
      (err: unknown) => {
        result.errors++;
        result.firstError ??= String(err);
      },
    );
    const tracked: Promise<void> = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  result.endMs = monoMs();
  close();
  return result;
}
