// Keeps only the newest position per courier between two frames, so a frame carries each
// moving courier once however many pings arrived.
import type { CourierPosition } from './socket-events';

export class PositionCoalescer {
  private pending = new Map<string, CourierPosition>();

  add(positions: Iterable<CourierPosition>): void {
    for (const p of positions) {
      const current = this.pending.get(p.courierId);
      if (!current || p.occurredAt >= current.occurredAt) this.pending.set(p.courierId, p);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** The positions gathered since the last drain, and a fresh start. */
  drain(): CourierPosition[] {
    const frame = [...this.pending.values()];
    this.pending = new Map();
    return frame;
  }
}
