// Distinct users per event-time minute, for one stream (one Kafka partition: keying by uid
// puts each user in one partition, so per-partition counts add up exactly).
//
// The watermark is the greatest event time seen. A minute is emitted once the watermark
// passes its end; until the watermark passes its end plus the allowed lateness, a late
// event still updates it (and it is emitted again if its count changed). Events later than
// that are counted as late for their minute, never silently dropped. A minute's user set
// is released once it can no longer change, so memory stays bounded.

export interface MinuteUpdate {
  /** Start of the minute, epoch seconds. */
  minute: number;
  uniqueUsers: number;
  lateEvents: number;
  /** No event can change uniqueUsers any more (lateEvents may still grow). */
  final: boolean;
}

interface OpenMinute {
  users: Set<string>;
  emitted: boolean;
}

export class MinuteWindows {
  private watermark = -Infinity;
  private readonly open = new Map<number, OpenMinute>();
  /** Last figures of every minute emitted, kept `retainSec` behind the watermark. */
  private readonly results = new Map<number, { uniqueUsers: number; lateEvents: number; final: boolean }>();
  private readonly dirty = new Set<number>();

  constructor(
    private readonly allowedLatenessSec: number,
    private readonly retainSec = 2 * 60 * 60,
  ) {}

  get currentWatermark(): number {
    return this.watermark;
  }

  get openMinutes(): number {
    return this.open.size;
  }

  add(uid: string, tsSec: number): void {
    const minute = Math.floor(tsSec / 60) * 60;
    if (minute + 60 + this.allowedLatenessSec <= this.watermark) {
      const result = this.results.get(minute) ?? { uniqueUsers: 0, lateEvents: 0, final: true };
      result.lateEvents++;
      this.results.set(minute, result);
      this.dirty.add(minute);
    } else {
      let window = this.open.get(minute);
      if (!window) this.open.set(minute, (window = { users: new Set(), emitted: false }));
      const before = window.users.size;
      window.users.add(uid);
      if (window.emitted && window.users.size !== before) this.dirty.add(minute);
    }
    if (tsSec > this.watermark) this.advance(tsSec);
  }

  private advance(watermark: number): void {
    this.watermark = watermark;
    for (const [minute, window] of this.open) {
      const end = minute + 60;
      if (!window.emitted && end <= watermark) {
        window.emitted = true;
        this.dirty.add(minute);
      }
      if (end + this.allowedLatenessSec <= watermark) {
        const previous = this.results.get(minute);
        this.results.set(minute, { uniqueUsers: window.users.size, lateEvents: previous?.lateEvents ?? 0, final: true });
        this.open.delete(minute);
        this.dirty.add(minute);
      }
    }
    for (const minute of this.results.keys()) {
      if (minute + 60 + this.retainSec <= watermark && !this.dirty.has(minute)) this.results.delete(minute);
    }
  }

  /** The minutes emitted or changed since the last drain, oldest first. */
  drain(): MinuteUpdate[] {
    const updates: MinuteUpdate[] = [];
    for (const minute of [...this.dirty].sort((a, b) => a - b)) {
      const window = this.open.get(minute);
      if (window) {
        const lateEvents = this.results.get(minute)?.lateEvents ?? 0;
        this.results.set(minute, { uniqueUsers: window.users.size, lateEvents, final: false });
        updates.push({ minute, uniqueUsers: window.users.size, lateEvents, final: false });
      } else {
        const result = this.results.get(minute)!;
        updates.push({ minute, ...result });
      }
    }
    this.dirty.clear();
    return updates;
  }
}
