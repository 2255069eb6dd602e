// The soak's verdict: the stores held to what the load generator was acknowledged.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { courierLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { buildTimeline } from '../../lib/orders/timeline';
import type { Ledger } from './ledger';
import type { Watcher } from './watcher';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const few = (items: Iterable<string>, n = 5) => {
  const list = [...items];
  return list.length === 0 ? '' : ` (e.g. ${list.slice(0, n).join(', ')}${list.length > n ? ', …' : ''})`;
};

export async function checkPings(ledger: Ledger, db: pg.Client, redis: Redis): Promise<Check[]> {
  const { rows } = await db.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::int AS n FROM courier_location_history GROUP BY event_id');
  const stored = new Map(rows.map((r) => [r.event_id, r.n]));
  const missing = [...ledger.pings].filter((id) => !stored.has(id));
  const repeated = rows.filter((r) => r.n > 1).map((r) => r.event_id);
  const unacked = rows.length - (ledger.pings.size - missing.length);
  const history: Check = {
    name: 'pings in the history exactly once',
    ok: missing.length === 0 && repeated.length === 0,
    detail: `${ledger.pings.size.toLocaleString()} acknowledged; ${missing.length} missing${few(missing)}; ${repeated.length} stored twice${few(repeated)}; ${unacked} stored without a 202 (answered otherwise, then resent)`,
  };
  const wrong: string[] = [];
  const couriers = [...ledger.newest.keys()];
  const stores = await Promise.all(couriers.map((c) => readLocation(redis, courierLocationKey(c))));
  couriers.forEach((courierId, i) => {
    const want = ledger.newest.get(courierId)!;
    const got = stores[i];
    if (!got || got.occurredAt !== want.occurredAt || got.lat !== want.lat || got.lng !== want.lng) {
      wrong.push(`${courierId}: ${got ? new Date(got.occurredAt).toISOString() : 'none'} instead of ${new Date(want.occurredAt).toISOString()}`);
    }
  });
  const last: Check = {
    name: "each courier's last location is its newest acknowledged ping",
    ok: wrong.length === 0,
    detail: `${couriers.length} couriers; ${wrong.length} wrong${few(wrong, 3)}`,
  };
  return [history, last];
}

export async function checkOrders(ledger: Ledger, db: pg.Client): Promise<Check[]> {
  const events = await db.query<{ event_id: string }>('SELECT event_id FROM order_events');
  const stored = new Set(events.rows.map((r) => r.event_id));
  const missing = [...ledger.orderEventIds].filter((id) => !stored.has(id));
  const recorded: Check = {
    name: 'order events recorded',
    ok: missing.length === 0,
    detail: `${ledger.orderEventIds.size.toLocaleString()} acknowledged over ${ledger.orderEvents.size} orders; ${missing.length} missing${few(missing)}`,
  };

  const orders = await db.query<{ id: string; status: string }>('SELECT id, status FROM orders');
  const statusOf = new Map(orders.rows.map((r) => [r.id, r.status]));
  const notes = await db.query<{ order_id: string; seq: number; event_id: string }>('SELECT order_id, seq, event_id FROM notifications ORDER BY order_id, seq');
  const notified = new Map<string, { seqs: number[]; events: Set<string> }>();
  for (const r of notes.rows) {
    let n = notified.get(r.order_id);
    if (!n) notified.set(r.order_id, (n = { seqs: [], events: new Set() }));
    n.seqs.push(r.seq);
    n.events.add(r.event_id);
  }
  const wrongStatus: string[] = [];
  const badNumbers: string[] = [];
  const unnotified: string[] = [];
  for (const [orderId, list] of ledger.orderEvents) {
    const timeline = buildTimeline(list);
    const got = statusOf.get(orderId);
    if (timeline.status !== undefined && got !== timeline.status) wrongStatus.push(`${orderId}: ${got ?? 'none'} instead of ${timeline.status}`);
    const n = notified.get(orderId) ?? { seqs: [], events: new Set<string>() };
    if (n.seqs.some((seq, i) => seq !== i + 1)) badNumbers.push(`${orderId}: ${n.seqs.join(',')}`);
    for (const e of timeline.accepted) if (!n.events.has(e.eventId)) unnotified.push(`${orderId}: ${e.status}`);
  }
  return [
    recorded,
    { name: "each order's status is the state machine's", ok: wrongStatus.length === 0, detail: `${ledger.orderEvents.size} orders; ${wrongStatus.length} wrong${few(wrongStatus, 3)}` },
    {
      name: 'notifications numbered 1..n, one per accepted change',
      ok: badNumbers.length === 0 && unnotified.length === 0,
      detail: `${notes.rows.length} notifications; ${badNumbers.length} orders with gaps or repeats${few(badNumbers, 3)}; ${unnotified.length} accepted changes without one${few(unnotified, 3)}`,
    },
  ];
}

/** `allowedLatenessMs`: how long after its end a minute still takes frames (STATS_ALLOWED_LATENESS_SECONDS). */
export async function checkUniqueUsers(ledger: Ledger, db: pg.Client, allowedLatenessMs: number): Promise<Check & { differing: string[] }> {
  const { rows } = await db.query<{ m: string; unique_users: number; late_events: number; final: boolean }>(
    'SELECT (extract(epoch FROM minute) / 60)::bigint AS m, unique_users, late_events, final FROM unique_users_minute',
  );
  const stored = new Map(rows.map((r) => [Number(r.m), r]));
  const differing: string[] = [];
  let unexplained = 0;
  for (const [minute, users] of [...ledger.activity].sort((a, b) => a[0] - b[0])) {
    const row = stored.get(minute);
    const exact = users.size;
    if (row && row.unique_users === exact) continue;
    const at = new Date(minute * 60_000).toISOString().slice(11, 16);
    // a user whose first frame of the minute was acknowledged only after the minute had
    // closed (a retry through a broker's loss) is counted as a late event, not as a user: a
    // shortfall of at most that many users is explained
    const closedAt = (minute + 1) * 60_000 + allowedLatenessMs;
    const lateUsers = [...users.values()].filter((ackedAt) => ackedAt > closedAt).length;
    const explained = row !== undefined && row.unique_users < exact && exact - row.unique_users <= lateUsers;
    if (!explained) unexplained++;
    differing.push(
      `${at}: ${row ? row.unique_users : 'no row'} instead of ${exact}` +
        `${row ? ` (${lateUsers} users acknowledged only after it closed, ${row.late_events} late events${row.final ? ', final' : ''})` : ''}${explained ? '' : ' UNEXPLAINED'}`,
    );
  }
  return {
    name: 'unique users per minute are exact',
    ok: unexplained === 0,
    detail: `${ledger.activity.size} minutes, ${ledger.activityEvents.count.toLocaleString()} frames; ${differing.length} differ, ${unexplained} without a reason`,
    differing,
  };
}

/** `serverKills`: how many times a server was killed (the client must have reconnected). */
export async function checkWatcher(watcher: Watcher, db: pg.Client, serverKills: number): Promise<Check> {
  const ids = [...watcher.orders.keys()];
  const { rows } = await db.query<{ order_id: string; seq: number; status: string }>(
    "SELECT order_id, seq, payload->>'status' AS status FROM notifications WHERE order_id = ANY($1) ORDER BY order_id, seq",
    [ids],
  );
  const want = new Map<string, Map<number, string>>();
  for (const r of rows) {
    let m = want.get(r.order_id);
    if (!m) want.set(r.order_id, (m = new Map()));
    m.set(r.seq, r.status);
  }
  const wrong: string[] = [];
  let total = 0;
  for (const [orderId, order] of watcher.orders) {
    const expected = want.get(orderId) ?? new Map<number, string>();
    total += expected.size;
    const same = expected.size === order.have.size && [...expected].every(([seq, status]) => order.have.get(seq) === status);
    if (!same) wrong.push(`${orderId}: has ${[...order.have.keys()].join(',') || 'none'} of ${[...expected.keys()].join(',') || 'none'}`);
  }
  const s = watcher.stats;
  return {
    name: 'the socket client has every notification of its orders once',
    ok: wrong.length === 0 && total > 0 && (serverKills === 0 || s.connects > 1),
    detail:
      `${ids.length} orders, ${total} notifications; ${wrong.length} orders differ${few(wrong, 3)}; ` +
      `${s.connects} connects, ${s.disconnects} disconnects, ${s.connectErrors} connect errors, ${s.gaps} gaps filled, ${s.duplicates} repeats skipped, ${s.joinErrors} joins refused and asked again`,
  };
}
