'use client';
// The analysts' page: unique users per minute/hour/day/month (pushed live as windows close),
// ingest rate, orders by status and delivery durations, over a range kept in the URL.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/realtime/socket-events';
import type { IngestPoint, UniqueUsersPoint } from '@/lib/stats/read-stats';
import { GRAINS, type Grain, grainOf, windowStart } from '@/lib/stats/grains';
import { getOpsJson } from '../components/get-ops-json';
import { ChartCard } from './chart-card';
import { PRESETS, type Preset, type StatsQuery, resolveRange, toSearch } from './stats-query';

type UniqueUsers = { points: UniqueUsersPoint[]; distinctUsers: { value: number; from: number; to: number; standardErrorPct: number } };
type Ingest = { points: IngestPoint[] };
type Orders = {
  byStatus: { status: string; count: number }[];
  deliveryMinutes: { fromMin: number; toMin: number | null; count: number }[];
  delivered: number;
  p50Min: number | null;
  p90Min: number | null;
  meanMin: number | null;
};


function getJson<T>(path: string, q: StatsQuery): Promise<T> {
  const { from, to } = resolveRange(q);
  return getOpsJson<T>(`${path}?${new URLSearchParams({ grain: q.grain, from, to }).toString()}`);
}

const iso = (sec: number) => new Date(sec * 1000).toISOString();

function label(sec: number, grain: Grain): string {
  const d = new Date(sec * 1000);
  if (grain === 'month') return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', timeZone: 'UTC' });
  if (grain === 'day') return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  if (grain === 'hour') return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** The stats room: emitted windows of this grain go straight into the chart's data. */
function useLiveWindows(q: StatsQuery, key: readonly unknown[]) {
  const client = useQueryClient();
  const [live, setLive] = useState<'connecting' | 'live' | 'offline' | 'refused'>('connecting');
  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket'] });
    socket.on('connect', () => socket.emit('stats:join', (ack) => setLive(ack.ok ? 'live' : 'refused')));
    socket.on('disconnect', () => setLive('offline'));
    socket.on('stats:windows', (windows) => {
      const { from, to } = resolveRange(q);
      const [fromSec, toSec] = [Date.parse(from) / 1000, Date.parse(to) / 1000];
      const { window } = grainOf(q.grain);
      const mine = windows.filter((w) => w.window === window && w.start >= windowStart(q.grain, fromSec) && w.start < toSec);
      if (mine.length === 0) return;
      client.setQueryData<UniqueUsers>(key, (old) => {
        if (!old) return old;
        const byStart = new Map(old.points.map((p) => [p.start, p]));
        for (const w of mine) byStart.set(w.start, { start: w.start, uniqueUsers: w.uniqueUsers, lateEvents: w.lateEvents, futureEvents: w.futureEvents, final: w.final });
        return { ...old, points: [...byStart.values()].sort((a, b) => a.start - b.start) };
      });
    });
    return () => {
      socket.disconnect();
    };
    // the key is derived from q
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, JSON.stringify(q)]);
  return live;
}

export function StatsDashboard({ initial }: { initial: StatsQuery }) {
  const router = useRouter();
  const [q, setQ] = useState<StatsQuery>(initial);
  const relative = 'preset' in q;
  const choose = (next: StatsQuery) => {
    setQ(next);
    router.replace(`/stats${toSearch(next)}`, { scroll: false });
  };

  const usersKey = ['stats', 'unique-users', q] as const;
  const users = useQuery({ queryKey: usersKey, queryFn: () => getJson<UniqueUsers>('/api/stats/unique-users', q), refetchInterval: relative ? 60_000 : false });
  const ingest = useQuery({ queryKey: ['stats', 'ingest', q], queryFn: () => getJson<Ingest>('/api/stats/ingest', q), refetchInterval: relative ? 15_000 : false });
  const orders = useQuery({ queryKey: ['stats', 'orders', q], queryFn: () => getJson<Orders>('/api/stats/orders', q), refetchInterval: relative ? 30_000 : false });
  const live = useLiveWindows(q, usersKey);

  const userRows = users.data?.points ?? [];
  const ingestRows = ingest.data?.points ?? [];
  const distinct = users.data?.distinctUsers;

  return (
    <>
      <RangePicker q={q} onChange={choose} />
      <p className={`live live-${live}`} data-testid="stats-live">
        {live === 'live' ? 'Live: minutes appear as they close' : live === 'refused' ? 'Live updates refused: sign in again' : live === 'offline' ? 'Offline: reconnecting…' : 'Connecting…'}
      </p>

      <ChartCard
        id="unique-users"
        title={`Unique users per ${q.grain}`}
        subtitle={
          distinct && (
            <span data-testid="distinct-users">
              {distinct.value.toLocaleString()} distinct users from {label(distinct.from, 'hour')} to {label(distinct.to, 'hour')} (±{distinct.standardErrorPct}%, by whole hours)
            </span>
          )
        }
        rows={userRows}
        fileName={`unique-users-${q.grain}.csv`}
        loading={users.isPending}
        error={users.error?.message}
        columns={[
          { header: 'window_start', value: (r) => iso(r.start) },
          { header: 'unique_users', value: (r) => r.uniqueUsers },
          { header: 'late_events', value: (r) => r.lateEvents },
          { header: 'future_events', value: (r) => r.futureEvents },
          { header: 'final', value: (r) => r.final },
          { header: 'partial', value: (r) => r.partial ?? false },
        ]}
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={userRows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#2a333d" />
            <XAxis dataKey="start" tickFormatter={(s: number) => label(s, q.grain)} stroke="#8b98a5" minTickGap={24} />
            <YAxis stroke="#8b98a5" allowDecimals={false} />
            <Tooltip labelFormatter={(s) => label(Number(s), q.grain)} contentStyle={{ background: '#171d24', border: '1px solid #2a333d' }} />
            <Legend />
            <Line type="linear" dataKey="uniqueUsers" name="unique users" stroke="#4cc38a" dot={userRows.length <= 120} isAnimationActive={false} />
            <Line type="linear" dataKey="lateEvents" name="late events" stroke="#e5a50a" dot={false} isAnimationActive={false} />
            <Line type="linear" dataKey="futureEvents" name="events from the future" stroke="#d1495b" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        id="ingest"
        title="Ingest rate (events/s)"
        rows={ingestRows}
        fileName={`ingest-rate-${q.grain}.csv`}
        loading={ingest.isPending}
        error={ingest.error?.message}
        columns={[
          { header: 'bucket_start', value: (r) => iso(r.start) },
          { header: 'pings_per_s', value: (r) => r.pings },
          { header: 'order_events_per_s', value: (r) => r.orderEvents },
          { header: 'activity_per_s', value: (r) => r.activity },
        ]}
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={ingestRows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#2a333d" />
            <XAxis dataKey="start" tickFormatter={(s: number) => label(s, q.grain)} stroke="#8b98a5" minTickGap={24} />
            <YAxis stroke="#8b98a5" />
            <Tooltip labelFormatter={(s) => label(Number(s), q.grain)} contentStyle={{ background: '#171d24', border: '1px solid #2a333d' }} />
            <Legend />
            <Line type="linear" dataKey="pings" name="pings" stroke="#4cc38a" dot={false} isAnimationActive={false} />
            <Line type="linear" dataKey="orderEvents" name="order events" stroke="#5aa9e6" dot={false} isAnimationActive={false} />
            <Line type="linear" dataKey="activity" name="activity" stroke="#e5a50a" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>

      <div className="chart-pair">
        <ChartCard
          id="orders-by-status"
          title="Orders by status"
          subtitle="Orders created in the range, by their status now"
          rows={orders.data?.byStatus ?? []}
          fileName="orders-by-status.csv"
          loading={orders.isPending}
          error={orders.error?.message}
          columns={[
            { header: 'status', value: (r) => r.status },
            { header: 'orders', value: (r) => r.count },
          ]}
        >
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={orders.data?.byStatus ?? []}>
              <CartesianGrid stroke="#2a333d" />
              <XAxis dataKey="status" stroke="#8b98a5" />
              <YAxis stroke="#8b98a5" allowDecimals={false} />
              <Tooltip contentStyle={{ background: '#171d24', border: '1px solid #2a333d' }} />
              <Bar dataKey="count" name="orders" fill="#4cc38a" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </ChartCard>
        <ChartCard
          id="delivery-durations"
          title="Delivery durations"
          subtitle={
            orders.data && orders.data.delivered > 0
              ? `${orders.data.delivered} delivered · median ${orders.data.p50Min} min · p90 ${orders.data.p90Min} min · mean ${orders.data.meanMin} min`
              : 'Created → delivered, for orders delivered in the range'
          }
          rows={orders.data && orders.data.delivered > 0 ? orders.data.deliveryMinutes : []}
          fileName="delivery-durations.csv"
          loading={orders.isPending}
          error={orders.error?.message}
          columns={[
            { header: 'from_min', value: (r) => r.fromMin },
            { header: 'to_min', value: (r) => r.toMin },
            { header: 'orders', value: (r) => r.count },
          ]}
        >
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={orders.data?.deliveryMinutes ?? []}>
              <CartesianGrid stroke="#2a333d" />
              <XAxis dataKey="fromMin" stroke="#8b98a5" tickFormatter={(m: number) => `${m}′`} />
              <YAxis stroke="#8b98a5" allowDecimals={false} />
              <Tooltip labelFormatter={(m) => `${m}–${Number(m) + 5} min`} contentStyle={{ background: '#171d24', border: '1px solid #2a333d' }} />
              <Bar dataKey="count" name="orders" fill="#5aa9e6" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </ChartCard>
      </div>
      <p className="muted">Times are shown in your time zone; CSV files use UTC (ISO 8601).</p>
    </>
  );
}

const toLocalInput = (isoText: string) => {
  const d = new Date(isoText);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function RangePicker({ q, onChange }: { q: StatsQuery; onChange: (q: StatsQuery) => void }) {
  const current = resolveRange(q);
  const [from, setFrom] = useState(toLocalInput(current.from));
  const [to, setTo] = useState(toLocalInput(current.to));
  return (
    <form
      className="range-picker"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ grain: q.grain, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
      }}
    >
      <div role="group" aria-label="Range">
        {(Object.keys(PRESETS) as Preset[]).map((p) => (
          <button key={p} type="button" aria-pressed={'preset' in q && q.preset === p} onClick={() => onChange({ preset: p, grain: PRESETS[p].grain })}>
            Last {p}
          </button>
        ))}
      </div>
      <label>
        From <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
      </label>
      <label>
        To <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
      </label>
      <button type="submit">Apply</button>
      <label>
        By{' '}
        <select value={q.grain} onChange={(e) => onChange({ ...q, grain: e.target.value as Grain })} aria-label="Grain">
          {GRAINS.map((g) => (
            <option key={g.grain} value={g.grain}>
              {g.grain}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
