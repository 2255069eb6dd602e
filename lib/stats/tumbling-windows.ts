// Distinct users per event-time tumbling window (a minute, an hour, a day, a month: a grain of
// grains.ts, or any fixed size), for one stream. The reference semantics the activity worker
// implements in Redis, per partition (see window-store.ts for how the partitions' windows
// share their user sets).
//
// The watermark is the greatest event time seen. A window is emitted once the watermark
// passes its end; until the watermark passes its end plus the allowed lateness, a late
// event still updates it (and it is emitted again if its count changed). Events later than
// that are counted as late for their window, never silently dropped. A window's user set
// is released once it can no longer change, so memory stays bounded.

import { type Grain, windowEnd, windowStart } from './grains';

export interface WindowUpdate {
  /** Start of the window, epoch seconds. */
  start: number;
  uniqueUsers: number;
  lateEvents: number;
  /** No event can change uniqueUsers any more (lateEvents may still grow). */
  final: boolean;
}

interface OpenWindow {
  users: Set<string>;
  emitted: boolean;
}

export class TumblingWindows {
  private watermark = -Infinity;
  private readonly open = new Map<number, OpenWindow>();
  /** Last figures of every window emitted, kept `retainSec` behind the watermark. */
  private readonly results = new Map<number, { uniqueUsers: number; lateEvents: number; final: boolean }>();
  private readonly dirty = new Set<number>();

  private readonly startOf: (tsSec: number) => number;
  private readonly endOf: (start: number) => number;

  constructor(
    private readonly allowedLatenessSec: number,
    size: number | Grain = 60,
    private readonly retainSec = 2 * 60 * 60,
  ) {
    if (typeof size === 'number') {
      this.startOf = (ts) => Math.floor(ts / size) * size;
      this.endOf = (start) => start + size;
    } else {
      this.startOf = (ts) => windowStart(size, ts);
      this.endOf = (start) => windowEnd(size, start);
    }
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  get openWindows(): number {
    return this.open.size;
  }

  add(uid: string, tsSec: number): void {
    const start = this.startOf(tsSec);
    if (this.endOf(start) + this.allowedLatenessSec <= this.watermark) {
      const result = this.results.get(start) ?? { uniqueUsers: 0, lateEvents: 0, final: true };
      result.lateEvents++;
      this.results.set(start, result);
      this.dirty.add(start);
    } else {
      let window = this.open.get(start);
      if (!window) this.open.set(start, (window = { users: new Set(), emitted: false }));
      const before = window.users.size;
      window.users.add(uid);
      if (window.emitted && window.users.size !== before) this.dirty.add(start);
    }
    if (tsSec > this.watermark) this.advance(tsSec);
  }

  private advance(watermark: number): void {
    this.watermark = watermark;
    for (const [start, window] of this.open) {
      const end = this.endOf(start);
      if (!window.emitted && end <= watermark) {
        window.emitted = true;
        this.dirty.add(start);
      }
      if (end + this.allowedLatenessSec <= watermark) {
        const previous = this.results.get(start);
        this.results.set(start, { uniqueUsers: window.users.size, lateEvents: previous?.lateEvents ?? 0, final: true });
        this.open.delete(start);
        this.dirty.add(start);
      }
    }
    for (const start of this.results.keys()) {
      if (this.endOf(start) + this.retainSec <= watermark && !this.dirty.has(start)) this.results.delete(start);
    }
  }

  /** The windows emitted or changed since the last drain, oldest first. */
  drain(): WindowUpdate[] {
    const updates: WindowUpdate[] = [];
    for (const start of [...this.dirty].sort((a, b) => a - b)) {
      const window = this.open.get(start);
      if (window) {
        const lateEvents = this.results.get(start)?.lateEvents ?? 0;
        this.results.set(start, { uniqueUsers: window.users.size, lateEvents, final: false });
        updates.push({ start, uniqueUsers: window.users.size, lateEvents, final: false });
      } else {
        const result = this.results.get(start)!;
        updates.push({ start, ...result });
      }
    }
    this.dirty.clear();
    return updates;
  }
}
