// The soak's fault schedule: which fault, at what second, on which process. Seeded, so a
// failing soak can be run again with the same faults (--seed), and printed before the run.
import { random } from '../../lib/stats/activity-generator';
import type { WorkerName } from '../../workers/start-worker';

export type Fault =
  /** SIGKILL a worker; its supervisor starts it again a second later. */
  | { kind: 'kill-worker'; worker: WorkerName; index: number }
  /** SIGKILL a broker; started again after `downS`. */
  | { kind: 'kill-broker'; node: number; downS: number }
  /** SIGSTOP a broker for `pauseS`, then SIGCONT. */
  | { kind: 'pause-broker'; node: number; pauseS: number }
  /** SIGKILL a server behind the proxy; started again a second later. */
  | { kind: 'kill-server'; index: number }
  /** Stop Redis and start it again on its data. */
  | { kind: 'restart-redis' }
  /** The location workers: 1, then 3, then 1, `stepS` apart, then back to where they were. */
  | { kind: 'scale-location'; stepS: number };

export interface Scheduled {
  atS: number;
  fault: Fault;
}

export interface ScheduleOptions {
  seed: number;
  seconds: number;
  workers: readonly WorkerName[];
  workersPerKind: number;
  brokers: number;
  servers: number;
  /** Worker kills in all (at least one of each kind). */
  workerKills: number;
  /** Only the worker kills and one of each other single fault; no pause or scaling. */
  short?: boolean;
}

/** The lane a fault runs in: faults of one lane run one after another, never at once. */
export function laneOf(fault: Fault): string {
  switch (fault.kind) {
    case 'kill-broker':
    case 'pause-broker':
      return 'kafka';
    case 'kill-worker':
      return fault.worker === 'location' ? 'location' : `worker-${fault.worker}`;
    case 'scale-location':
      return 'location';
    default:
      return fault.kind;
  }
}

/** How long a fault keeps its part of the system away (for spacing the schedule). */
export function durationS(fault: Fault): number {
  switch (fault.kind) {
    case 'kill-broker':
      return fault.downS + 25;
    case 'pause-broker':
      return fault.pauseS + 10;
    case 'scale-location':
      return 3 * fault.stepS + 10;
    case 'kill-server':
      return 15;
    case 'restart-redis':
      return 10;
    case 'kill-worker':
      return 10;
  }
}

export function faultSchedule(o: ScheduleOptions): Scheduled[] {
  const rnd = random(o.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)]!;
  const faults: Fault[] = [];
  const kill = (worker: WorkerName): Fault => ({ kind: 'kill-worker', worker, index: Math.floor(rnd() * o.workersPerKind) });
  for (const worker of o.workers) faults.push(kill(worker));
  for (let i = o.workers.length; i < o.workerKills; i++) faults.push(kill(pick(o.workers)));
  const node = () => 1 + Math.floor(rnd() * o.brokers);
  if (o.brokers > 1) faults.push({ kind: 'kill-broker', node: node(), downS: o.short ? 5 : 10 });
  faults.push({ kind: 'kill-server', index: Math.floor(rnd() * o.servers) });
  faults.push({ kind: 'restart-redis' });
  if (!o.short) {
    if (o.brokers > 1) faults.push({ kind: 'pause-broker', node: node(), pauseS: 20 });
    faults.push({ kind: 'scale-location', stepS: 20 });
  }
  // shuffled, then spread over the run: a warm-up first, a quiet end to settle in
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [faults[i], faults[j]] = [faults[j]!, faults[i]!];
  }
  const first = Math.min(30, o.seconds * 0.12);
  const last = o.seconds * 0.75;
  const step = (last - first) / faults.length;
  const laneFree = new Map<string, number>();
  return faults
    .map((fault, i) => {
      const lane = laneOf(fault);
      const atS = Math.round(Math.max(first + (i + rnd() * 0.8) * step, laneFree.get(lane) ?? 0));
      laneFree.set(lane, atS + durationS(fault));
      return { atS, fault };
    })
    .sort((a, b) => a.atS - b.atS);
}

export function describe(fault: Fault): string {
  switch (fault.kind) {
    case 'kill-worker':
      return `SIGKILL worker ${fault.worker} #${fault.index + 1}`;
    case 'kill-broker':
      return `SIGKILL broker ${fault.node}, restart after ${fault.downS}s`;
    case 'pause-broker':
      return `SIGSTOP broker ${fault.node} for ${fault.pauseS}s`;
    case 'kill-server':
      return `SIGKILL server #${fault.index + 1}`;
    case 'restart-redis':
      return 'restart Redis';
    case 'scale-location':
      return `scale location workers 1 → 3 → 1 (${fault.stepS}s steps)`;
  }
}
