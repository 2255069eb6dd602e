// The couriers' frame buffer, repainted only where something changed. At the map's opening
// zoom a courier crosses a pixel every few seconds, so most of 10,000 couriers land where they
// were last frame: the frame is kept between redraws and only the tiles a courier left or
// entered (or changed colour in) are cleared and repainted, with every sprite that touches
// them, in the same order a full repaint uses. So a tile repainted is exactly what a full
// repaint would give (property-tested), and the canvas gets only those tiles.
import { type PixelSprite, blitSprite } from './pixel-sprites';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Beyond this share of tiles changed, the whole frame is repainted (it is cheaper then). */
const FULL_ABOVE = 0.4;

export class SpriteFrame {
  readonly pixels: Uint32Array<ArrayBuffer>;
  private readonly tilesX: number;
  private readonly tilesY: number;
  private readonly dirty: Uint8Array;
  // per courier id, where its sprite was painted (-1 state: not painted)
  private lastLeft = new Int32Array(0);
  private lastTop = new Int32Array(0);
  private lastState = new Int8Array(0);
  private seen = new Uint32Array(0);
  private stamp = 0;
  private painted = false;
  // visible couriers by the tile of their sprite's top-left corner (a counting sort)
  private bucketStart = new Int32Array(0);
  private bucketed = new Int32Array(0);

  constructor(
    readonly width: number,
    readonly height: number,
    readonly tile = 64,
  ) {
    this.pixels = new Uint32Array(width * height);
    this.tilesX = Math.ceil(width / tile);
    this.tilesY = Math.ceil(height / tile);
    this.dirty = new Uint8Array(this.tilesX * this.tilesY);
  }

  /** Forgets what was painted: the next paint is a full one. */
  invalidate(): void {
    this.painted = false;
  }

  /**
   * Paints `count` couriers: courier k's sprite is sprites[state[k]] (all one size) with its
   * top-left at (left[k], top[k]); id[k] names the courier from frame to frame (ids below
   * 2^31). States are painted in `order`, couriers by ascending k within one. Returns the
   * rectangles that changed, or null when the whole frame was repainted.
   */
  paint(count: number, left: Int32Array, top: Int32Array, state: Uint8Array, id: Int32Array, sprites: PixelSprite[], order: readonly number[], full = false): Rect[] | null {
    let maxId = -1;
    for (let k = 0; k < count; k++) if (id[k]! > maxId) maxId = id[k]!;
    this.grow(maxId + 1);
    const stamp = ++this.stamp;
    const size = sprites[order[0]!]!.size;
    if (full || !this.painted || size > this.tile) return this.repaintAll(count, left, top, state, id, sprites, order);

    const dirty = this.dirty;
    dirty.fill(0);
    let changed = 0;
    const mark = (x: number, y: number) => {
      const tx0 = Math.max(0, Math.floor(x / this.tile));
      const ty0 = Math.max(0, Math.floor(y / this.tile));
      const tx1 = Math.min(this.tilesX - 1, Math.floor((x + size - 1) / this.tile));
      const ty1 = Math.min(this.tilesY - 1, Math.floor((y + size - 1) / this.tile));
      for (let ty = ty0; ty <= ty1; ty++) {
        for (let tx = tx0; tx <= tx1; tx++) {
          const t = ty * this.tilesX + tx;
          if (dirty[t] === 0) {
            dirty[t] = 1;
            changed++;
          }
        }
      }
    };
    for (let k = 0; k < count; k++) {
      const i = id[k]!;
      this.seen[i] = stamp;
      if (this.lastState[i] === state[k] && this.lastLeft[i] === left[k] && this.lastTop[i] === top[k]) continue;
      if (this.lastState[i]! >= 0) mark(this.lastLeft[i]!, this.lastTop[i]!);
      mark(left[k]!, top[k]!);
      this.lastState[i] = state[k]!;
      this.lastLeft[i] = left[k]!;
      this.lastTop[i] = top[k]!;
    }
    // painted last time, not now (off screen now)
    for (let i = 0; i < this.lastState.length; i++) {
      if (this.lastState[i]! >= 0 && this.seen[i] !== stamp) {
        mark(this.lastLeft[i]!, this.lastTop[i]!);
        this.lastState[i] = -1;
      }
    }
    if (changed === 0) return [];
    if (changed > FULL_ABOVE * dirty.length) return this.repaintAll(count, left, top, state, id, sprites, order);

    this.bucket(count, left, top);
    const candidates: number[] = [];
    for (let ty = 0; ty < this.tilesY; ty++) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        if (dirty[ty * this.tilesX + tx] === 0) continue;
        const x0 = tx * this.tile;
        const y0 = ty * this.tile;
        const x1 = Math.min(this.width, x0 + this.tile);
        const y1 = Math.min(this.height, y0 + this.tile);
        for (let y = y0; y < y1; y++) this.pixels.fill(0, y * this.width + x0, y * this.width + x1);
        // a sprite no bigger than a tile touching this tile starts in it or the one left of, above or above-left of it
        candidates.length = 0;
        for (let by = Math.max(0, ty - 1); by <= ty; by++) {
          for (let bx = Math.max(0, tx - 1); bx <= tx; bx++) {
            const b = by * this.tilesX + bx;
            for (let j = this.bucketStart[b]!; j < this.bucketStart[b + 1]!; j++) candidates.push(this.bucketed[j]!);
          }
        }
        candidates.sort((a, b) => a - b);
        for (const s of order) {
          const sprite = sprites[s]!;
          for (const k of candidates) if (state[k] === s) blitSprite(this.pixels, this.width, this.height, sprite, left[k]!, top[k]!, x0, y0, x1, y1);
        }
      }
    }
    return this.runs();
  }

  private repaintAll(count: number, left: Int32Array, top: Int32Array, state: Uint8Array, id: Int32Array, sprites: PixelSprite[], order: readonly number[]): null {
    this.pixels.fill(0);
    for (const s of order) {
      const sprite = sprites[s]!;
      for (let k = 0; k < count; k++) if (state[k] === s) blitSprite(this.pixels, this.width, this.height, sprite, left[k]!, top[k]!);
    }
    this.lastState.fill(-1);
    for (let k = 0; k < count; k++) {
      const i = id[k]!;
      this.lastState[i] = state[k]!;
      this.lastLeft[i] = left[k]!;
      this.lastTop[i] = top[k]!;
    }
    this.painted = true;
    return null;
  }

  /** Sorts the couriers into buckets by the tile of their top-left corner (clamped to the frame). */
  private bucket(count: number, left: Int32Array, top: Int32Array): void {
    const tiles = this.tilesX * this.tilesY;
    if (this.bucketStart.length < tiles + 1) this.bucketStart = new Int32Array(tiles + 1);
    if (this.bucketed.length < count) this.bucketed = new Int32Array(Math.max(1024, count * 2));
    const start = this.bucketStart;
    start.fill(0);
    const tileOf = (k: number) => {
      const tx = Math.min(this.tilesX - 1, Math.max(0, Math.floor(left[k]! / this.tile)));
      const ty = Math.min(this.tilesY - 1, Math.max(0, Math.floor(top[k]! / this.tile)));
      return ty * this.tilesX + tx;
    };
    for (let k = 0; k < count; k++) start[tileOf(k) + 1]!++;
    for (let t = 0; t < tiles; t++) start[t + 1]! += start[t]!;
    const fill = start.slice(0, tiles);
    for (let k = 0; k < count; k++) this.bucketed[fill[tileOf(k)]!++] = k;
  }

  /** The dirty tiles as rectangles, runs of neighbours in a row merged. */
  private runs(): Rect[] {
    const rects: Rect[] = [];
    for (let ty = 0; ty < this.tilesY; ty++) {
      let tx = 0;
      while (tx < this.tilesX) {
        if (this.dirty[ty * this.tilesX + tx] === 0) {
          tx++;
          continue;
        }
        const from = tx;
        while (tx < this.tilesX && this.dirty[ty * this.tilesX + tx] === 1) tx++;
        const x = from * this.tile;
        const y = ty * this.tile;
        rects.push({ x, y, w: Math.min(this.width, tx * this.tile) - x, h: Math.min(this.height, y + this.tile) - y });
      }
    }
    return rects;
  }

  private grow(ids: number): void {
    if (this.lastState.length >= ids) return;
    const capacity = Math.max(1024, ids * 2);
    const grown = (old: Int32Array) => {
      const next = new Int32Array(capacity);
      next.set(old);
      return next;
    };
    this.lastLeft = grown(this.lastLeft);
    this.lastTop = grown(this.lastTop);
    const state = new Int8Array(capacity).fill(-1);
    state.set(this.lastState);
    this.lastState = state;
    const seen = new Uint32Array(capacity);
    seen.set(this.seen);
    this.seen = seen;
  }
}
