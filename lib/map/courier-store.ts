// Every courier on the map, as a struct of arrays: one slot per courier (id → index), typed
// arrays for positions and times, so applying a frame or drawing 10,000 couriers creates no
// object per courier. Positions are in Web Mercator world units (./mercator.ts).
//
// A new fix glides the courier from where it is drawn now to the fix, over the time between
// its last two fixes (at least a frame, at most MAX_GLIDE_MS): at a ping a second it moves
// steadily, a second behind, instead of jumping once a second.
import type { CourierStatus } from '../couriers/courier-status';
import type { CourierPosition } from '../realtime/socket-events';
import { worldDistanceM, worldX, worldY } from './mercator';

/** What a courier is drawn as: its status, or stale (grey) after a silence. */
export const DRAWN_STATES = ['idle', 'to_pickup', 'delivering', 'stale'] as const;
export type DrawnState = (typeof DRAWN_STATES)[number];
export const STALE = 3;
const STATUS_CODE: Record<CourierStatus, number> = { idle: 0, to_pickup: 1, delivering: 2 };

/** A courier's position as the snapshot and the live frames give it; without a status, the courier keeps its own. */
export type CourierFix = CourierPosition;

export type StateCounts = Record<DrawnState, number> & { total: number };

export interface CourierStoreOptions {
  /** The server's frame interval: the shortest glide. */
  frameMs: number;
  /** Moving less than this is standing still (for stalled couriers). */
  stillWithinM?: number;
}

const MAX_GLIDE_MS = 2000;
const INITIAL_CAPACITY = 1024;

export class CourierStore {
  size = 0;
  /** Bumped by every change that alters what is drawn, other than gliding. */
  version = 0;
  readonly ids: string[] = [];
  readonly orderIds: (string | undefined)[] = [];
  /** Where the glide starts and ends, and where the courier is drawn (after interpolate). */
  fromX = new Float64Array(INITIAL_CAPACITY);
  fromY = new Float64Array(INITIAL_CAPACITY);
  toX = new Float64Array(INITIAL_CAPACITY);
  toY = new Float64Array(INITIAL_CAPACITY);
  x = new Float64Array(INITIAL_CAPACITY);
  y = new Float64Array(INITIAL_CAPACITY);
  /** Client clock (ms) the glide started at, and how long it lasts. */
  glideStart = new Float64Array(INITIAL_CAPACITY);
  glideMs = new Float32Array(INITIAL_CAPACITY);
  /** occurredAt of the newest fix: the courier's last-seen time. */
  fixAt = new Float64Array(INITIAL_CAPACITY);
  /** Latitude of the newest fix, for distances in metres. */
  lat = new Float64Array(INITIAL_CAPACITY);
  status = new Uint8Array(INITIAL_CAPACITY);
  /** What is drawn: the status, or STALE. */
  state = new Uint8Array(INITIAL_CAPACITY);
  /** Where and since when the courier has stayed within stillWithinM (reset when its status changes). */
  stillX = new Float64Array(INITIAL_CAPACITY);
  stillY = new Float64Array(INITIAL_CAPACITY);
  stillSince = new Float64Array(INITIAL_CAPACITY);
  counts: StateCounts = { idle: 0, to_pickup: 0, delivering: 0, stale: 0, total: 0 };

  private readonly index = new Map<string, number>();
  private glidingUntil = 0;
  /** The server's frame interval (ms): the shortest glide. */
  frameMs: number;
  private readonly stillWithinM: number;

  constructor(options: CourierStoreOptions) {
    this.frameMs = options.frameMs;
    this.stillWithinM = options.stillWithinM ?? 50;
  }

  indexOf(courierId: string): number {
    return this.index.get(courierId) ?? -1;
  }

  /**
   * Applies fixes received at `nowMs` (client clock). A fix older than the courier's newest is
   * ignored; one as old only updates its status and order. Returns how many fixes were applied.
   */
  apply(fixes: Iterable<CourierFix>, nowMs: number): number {
    let applied = 0;
    for (const fix of fixes) if (this.applyOne(fix, nowMs)) applied++;
    if (applied > 0) this.version++;
    return applied;
  }

  private applyOne(fix: CourierFix, nowMs: number): boolean {
    let i = this.index.get(fix.courierId);
    const fx = worldX(fix.lng);
    const fy = worldY(fix.lat);
    const status = fix.status === undefined ? undefined : STATUS_CODE[fix.status];
    if (i === undefined) {
      i = this.add(fix.courierId);
      this.fromX[i] = this.toX[i] = this.x[i] = this.stillX[i] = fx;
      this.fromY[i] = this.toY[i] = this.y[i] = this.stillY[i] = fy;
      this.glideMs[i] = 0;
      this.stillSince[i] = fix.occurredAt;
      this.status[i] = this.state[i] = status ?? 0;
    } else {
      const previousAt = this.fixAt[i]!;
      if (fix.occurredAt < previousAt) return false;
      if (fix.occurredAt > previousAt) {
        this.positionAt(i, nowMs);
        this.fromX[i] = this.x[i]!;
        this.fromY[i] = this.y[i]!;
        this.toX[i] = fx;
        this.toY[i] = fy;
        this.glideStart[i] = nowMs;
        this.glideMs[i] = Math.min(MAX_GLIDE_MS, Math.max(this.frameMs, fix.occurredAt - previousAt));
        this.glidingUntil = Math.max(this.glidingUntil, nowMs + this.glideMs[i]!);
      }
      const statusChanged = status !== undefined && status !== this.status[i];
      if (statusChanged || worldDistanceM(fx - this.stillX[i]!, fy - this.stillY[i]!, fix.lat) > this.stillWithinM) {
        this.stillX[i] = fx;
        this.stillY[i] = fy;
        this.stillSince[i] = fix.occurredAt;
      }
      if (status !== undefined) this.status[i] = status;
      if (this.state[i] !== STALE) this.state[i] = this.status[i]!;
    }
    this.fixAt[i] = fix.occurredAt;
    this.lat[i] = fix.lat;
    this.orderIds[i] = fix.orderId;
    return true;
  }

  private add(courierId: string): number {
    if (this.size === this.fromX.length) this.grow(this.size * 2);
    const i = this.size++;
    this.index.set(courierId, i);
    this.ids.push(courierId);
    this.orderIds.push(undefined);
    return i;
  }

  private grow(capacity: number): void {
    for (const key of ['fromX', 'fromY', 'toX', 'toY', 'x', 'y', 'glideStart', 'fixAt', 'lat', 'stillX', 'stillY', 'stillSince'] as const) {
      const bigger = new Float64Array(capacity);
      bigger.set(this[key]);
      this[key] = bigger;
    }
    const glideMs = new Float32Array(capacity);
    glideMs.set(this.glideMs);
    this.glideMs = glideMs;
    for (const key of ['status', 'state'] as const) {
      const bigger = new Uint8Array(capacity);
      bigger.set(this[key]);
      this[key] = bigger;
    }
  }

  private positionAt(i: number, nowMs: number): void {
    const duration = this.glideMs[i]!;
    const t = duration <= 0 ? 1 : (nowMs - this.glideStart[i]!) / duration;
    if (t >= 1) {
      this.x[i] = this.toX[i]!;
      this.y[i] = this.toY[i]!;
    } else {
      const k = Math.max(0, t);
      this.x[i] = this.fromX[i]! + (this.toX[i]! - this.fromX[i]!) * k;
      this.y[i] = this.fromY[i]! + (this.toY[i]! - this.fromY[i]!) * k;
    }
  }

  /** Moves every courier to where its glide is at `nowMs`; true while any is still gliding. */
  interpolate(nowMs: number): boolean {
    for (let i = 0; i < this.size; i++) this.positionAt(i, nowMs);
    return nowMs < this.glidingUntil;
  }

  /**
   * Greys the couriers not heard from for longer than `staleAfterMs` at `serverNowMs` (and
   * restores those heard from again), and recounts by state. True when any state changed.
   */
  refreshStale(serverNowMs: number, staleAfterMs: number): boolean {
    const counts = [0, 0, 0, 0];
    let changed = false;
    for (let i = 0; i < this.size; i++) {
      const state = serverNowMs - this.fixAt[i]! > staleAfterMs ? STALE : this.status[i]!;
      if (state !== this.state[i]) {
        this.state[i] = state;
        changed = true;
      }
      counts[state]!++;
    }
    this.counts = { idle: counts[0]!, to_pickup: counts[1]!, delivering: counts[2]!, stale: counts[3]!, total: this.size };
    if (changed) this.version++;
    return changed;
  }

  /** The courier's status as a name. */
  statusOf(i: number): CourierStatus {
    return DRAWN_STATES[this.status[i]!] as CourierStatus;
  }
}
