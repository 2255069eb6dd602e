// The system under the soak: the workers and servers as the real processes `npm start` runs
// (workers/index.ts, server/index.ts), nginx in front of the servers, and the faults done to
// them and to the brokers and Redis of the stack. Each process has a slot (worker location
// #2, server #1, broker 3); a process killed by a fault is started again in its slot, one
// that dies by itself is reported and started again too.
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Service, startService, stopServices, waitReady } from '../../scripts/app/services';
import { type Nginx, startNginx } from '../../scripts/infra/nginx';
import { freePort, isAlive, sleep } from '../../scripts/infra/proc';
import { readState, restartKafkaNodeOf, restartRedisOf } from '../../scripts/infra/stack';
import type { WorkerName } from '../../workers/start-worker';
import type { Stack } from '../lib';

export interface Slot {
  name: string;
  kind: 'worker' | 'server';
  script: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  service?: Service;
  /** A fault or a scale-down is stopping it: its exit is expected. */
  stopping: boolean;
}

export interface RssSample {
  atS: number;
  mib: number;
  /** CPU seconds used so far (user + system). */
  cpuS: number;
}

/** One process's life (a slot's process between its start and its end), for the memory report. */
export interface Incarnation {
  name: string;
  pid: number;
  startS: number;
  endS?: number;
  samples: RssSample[];
}

export class System {
  readonly slots = new Map<string, Slot>();
  /** Processes that exited without a fault or a stop asking them to (a finding). */
  readonly unexpectedExits: string[] = [];
  readonly incarnations = new Map<number, Incarnation>();
  nginx?: Nginx;
  private t0 = Date.now();
  private readonly logFd: number;
  private sampler?: NodeJS.Timeout;
  private closing = false;
  /** A broker SIGSTOPped now. */
  private paused?: number;

  constructor(
    readonly stack: Stack,
    readonly logDir: string,
  ) {
    this.logFd = openSync(join(logDir, 'processes.log'), 'a');
    // our processes run in their own groups: an interrupted soak must not leave them behind,
    // nor start any again while the stack stops (bench/lib.ts stops the stack on a signal)
    const killAll = () => {
      this.closing = true;
      for (const slot of this.slots.values()) slot.service?.child.kill('SIGKILL');
      this.nginx?.kill();
      if (this.paused) process.kill(this.paused, 'SIGCONT'); // so that the stack's stop reaches it
    };
    process.once('exit', killAll);
    process.once('SIGINT', killAll);
    process.once('SIGTERM', killAll);
  }

  /** Seconds since the load started (negative before it). */
  nowS = () => (Date.now() - this.t0) / 1000;

  /** The load starts now: every time the soak prints counts from here. */
  startClock(): void {
    const shiftS = (Date.now() - this.t0) / 1000;
    this.t0 = Date.now();
    for (const life of this.incarnations.values()) {
      life.startS -= shiftS;
      if (life.endS !== undefined) life.endS -= shiftS;
      for (const sample of life.samples) sample.atS -= shiftS;
    }
  }

  workerSlots(worker: WorkerName): Slot[] {
    return [...this.slots.values()].filter((s) => s.kind === 'worker' && s.args[0] === worker);
  }

  get serverSlots(): Slot[] {
    return [...this.slots.values()].filter((s) => s.kind === 'server');
  }

  async addWorker(worker: WorkerName): Promise<Slot> {
    const index = this.workerSlots(worker).length + 1;
    const port = await freePort();
    const slot: Slot = { name: `worker ${worker} #${index}`, kind: 'worker', script: 'workers/index.ts', args: [worker], env: { WORKER_HTTP_PORT: String(port) }, port, stopping: false };
    this.slots.set(slot.name, slot);
    await this.start(slot);
    return slot;
  }

  async addServer(): Promise<Slot> {
    const index = this.serverSlots.length + 1;
    const port = await freePort();
    const slot: Slot = { name: `server #${index}`, kind: 'server', script: 'server/index.ts', args: [], env: { PORT: String(port), NODE_ENV: 'production' }, port, stopping: false };
    this.slots.set(slot.name, slot);
    await this.start(slot);
    return slot;
  }

  async startProxy(dir: string, maxBodyBytes: number): Promise<string> {
    const port = await freePort();
    this.nginx = await startNginx({ dir, port, backends: this.serverSlots.map((s) => s.port), maxBodyBytes });
    return this.nginx.url;
  }

  /** Starts the slot's process and waits until it is ready (a server: until /readyz answers). */
  async start(slot: Slot): Promise<void> {
    if (this.closing) throw new Error(`not starting ${slot.name}: the soak is stopping`);
    const service = startService(slot.name, slot.script, slot.args, { ...this.stack.env, ...slot.env }, this.logFd);
    slot.service = service;
    slot.stopping = false;
    const pid = service.child.pid!;
    this.incarnations.set(pid, { name: slot.name, pid, startS: this.nowS(), samples: [] });
    service.child.once('exit', (code, signal) => {
      const life = this.incarnations.get(pid);
      if (life) life.endS = this.nowS();
      if (slot.stopping || this.closing || slot.service !== service) return;
      this.unexpectedExits.push(`${slot.name} (pid ${pid}) exited by itself at ${Math.round(this.nowS())}s: ${signal ?? `code ${code}`}`);
      // started again, unless a fault or a scale-down has taken the slot over meanwhile
      void sleep(1000)
        .then(() => (this.closing || slot.stopping || slot.service !== service ? undefined : this.start(slot)))
        .catch((err: unknown) => this.unexpectedExits.push(`${slot.name} did not start again: ${(err as Error).message}`));
    });
    const url = slot.kind === 'server' ? `http://127.0.0.1:${slot.port}/readyz` : `http://127.0.0.1:${slot.port}/healthz`;
    await waitReady(url, service, 120_000);
  }

  /** SIGKILLs the slot's process, waits `downMs`, starts it again; resolves once it is ready. */
  async killAndRestart(slot: Slot, downMs = 1000): Promise<void> {
    slot.stopping = true; // also when it died by itself just now: its own restart stands down
    const child = slot.service?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    await sleep(downMs);
    await this.start(slot);
  }

  /** Stops the slot's process as a supervisor scaling down does (SIGTERM, its clean stop). */
  async stopSlot(slot: Slot): Promise<void> {
    slot.stopping = true;
    if (slot.service) await stopServices([slot.service]);
    slot.service = undefined;
  }

  brokerPid(node: number): number {
    return readState(this.stack.profile)!.started.kafkaNodes![node - 1]!;
  }

  get redisPid(): number {
    return readState(this.stack.profile)!.started.redis!;
  }

  async killBroker(node: number, downMs: number): Promise<void> {
    const pid = this.brokerPid(node);
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
    this.endLife(pid);
    await sleep(downMs);
    if (this.closing) return;
    this.track(`broker ${node}`, await restartKafkaNodeOf(this.stack.profile, node));
  }

  async pauseBroker(node: number, pauseMs: number): Promise<void> {
    const pid = this.brokerPid(node);
    process.kill(pid, 'SIGSTOP');
    this.paused = pid;
    try {
      await sleep(pauseMs);
    } finally {
      process.kill(pid, 'SIGCONT');
      this.paused = undefined;
    }
  }

  async restartRedis(): Promise<void> {
    const old = this.redisPid;
    if (this.closing) return;
    const pid = await restartRedisOf(this.stack.profile);
    this.endLife(old);
    this.track('redis', pid);
  }

  /** Processes that are not our children (brokers, Redis, nginx's worker), for the memory report. */
  track(name: string, pid: number): void {
    this.incarnations.set(pid, { name, pid, startS: this.nowS(), samples: [] });
  }

  private endLife(pid: number): void {
    const life = this.incarnations.get(pid);
    if (life) life.endS = this.nowS();
  }

  /** Samples every live process's resident memory every `everyMs`. */
  sampleMemory(everyMs: number): void {
    const take = () => {
      const atS = this.nowS();
      for (const life of this.incarnations.values()) {
        if (life.endS !== undefined) continue;
        const mib = rssMiB(life.pid);
        const cpuS = cpuSeconds(life.pid);
        if (mib === undefined || cpuS === undefined) life.endS ??= atS;
        else life.samples.push({ atS, mib, cpuS });
      }
    };
    take();
    this.sampler = setInterval(take, everyMs);
  }

  trackInfra(): void {
    const state = readState(this.stack.profile)!;
    state.started.kafkaNodes?.forEach((pid, i) => this.track(`broker ${i + 1}`, pid));
    if (state.started.redis) this.track('redis', state.started.redis);
    const master = this.nginx?.child.pid;
    if (master) {
      this.track('nginx master', master);
      for (const pid of childrenOf(master)) this.track('nginx worker', pid);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sampler);
    await stopServices([...this.slots.values()].flatMap((s) => (s.service ? [s.service] : [])));
    await this.nginx?.stop();
  }
}

export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Least-squares slope of RSS over time, in MiB per minute. */
export function slopeMiBPerMin(samples: RssSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, p) => s + p.atS, 0) / n;
  const my = samples.reduce((s, p) => s + p.mib, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.atS - mx) * (p.mib - my);
    den += (p.atS - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}
