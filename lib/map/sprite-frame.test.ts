import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PixelSprite } from './pixel-sprites';
import { SpriteFrame } from './sprite-frame';

// 5×5 dots per state: solid centre, faint rim, so overlaps depend on the painting order
const dot = (colour: number): PixelSprite => {
  const pixels = new Uint32Array(25);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) pixels[y * 5 + x] = x === 0 || y === 0 || x === 4 || y === 4 ? (0x40 << 24) | colour : (0xff << 24) | colour;
  return { size: 5, pixels };
};
const SPRITES = [dot(0x0000ff), dot(0x00ff00), dot(0xff0000), dot(0x888888)];
const ORDER = [3, 0, 1, 2];
const W = 50;
const H = 37;
const TILE = 8;

interface Courier {
  id: number;
  x: number;
  y: number;
  state: number;
}

function arrays(couriers: Courier[]) {
  return {
    left: Int32Array.from(couriers.map((c) => c.x)),
    top: Int32Array.from(couriers.map((c) => c.y)),
    state: Uint8Array.from(couriers.map((c) => c.state)),
    id: Int32Array.from(couriers.map((c) => c.id)),
  };
}

function fullPaint(couriers: Courier[]): Uint32Array {
  const frame = new SpriteFrame(W, H, TILE);
  const a = arrays(couriers);
  frame.paint(couriers.length, a.left, a.top, a.state, a.id, SPRITES, ORDER, true);
  return frame.pixels;
}

// toEqual walks a typed array element by element through its matchers, slowly enough that 300
// runs time out on a loaded machine; the pixel index of the first mismatch says as much
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const courier = fc.record({ x: fc.integer({ min: -8, max: W + 8 }), y: fc.integer({ min: -8, max: H + 8 }), state: fc.integer({ min: 0, max: 3 }) });

describe('SpriteFrame', () => {
  it('repaints only where couriers moved, to exactly what a full repaint gives', () => {
    fc.assert(
      fc.property(
        fc.array(courier, { minLength: 1, maxLength: 40 }),
        // each later frame: some couriers move a little, change state, leave or come back
        fc.array(fc.array(fc.tuple(fc.nat(), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1, max: 3 })), { maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        (start, steps) => {
          const fleet = start.map((c, id) => ({ ...c, id, shown: true }));
          const frame = new SpriteFrame(W, H, TILE);
          const paint = () => {
            const visible = fleet.filter((c) => c.shown);
            const a = arrays(visible);
            return frame.paint(visible.length, a.left, a.top, a.state, a.id, SPRITES, ORDER);
          };
          expect(paint()).toBeNull(); // the first paint is a full one
          for (const changes of steps) {
            for (const [n, dx, dy, s] of changes) {
              const c = fleet[n % fleet.length]!;
              c.x += dx;
              c.y += dy;
              if (s < 0) c.shown = !c.shown;
              else c.state = s;
            }
            const rects = paint();
            expect(firstDifference(frame.pixels, fullPaint(fleet.filter((c) => c.shown)))).toBe(-1);
            for (const r of rects ?? []) {
              expect(r.x % TILE).toBe(0);
              expect(r.x + r.w).toBeLessThanOrEqual(W);
              expect(r.y + r.h).toBeLessThanOrEqual(H);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('touches nothing when nothing moved, and only the tiles a courier left and entered when one did', () => {
    const couriers = Array.from({ length: 30 }, (_, id) => ({ id, x: (id * 7) % 45, y: (id * 11) % 33, state: id % 4 }));
    const frame = new SpriteFrame(W, H, TILE);
    let a = arrays(couriers);
    expect(frame.paint(couriers.length, a.left, a.top, a.state, a.id, SPRITES, ORDER)).toBeNull();
    expect(frame.paint(couriers.length, a.left, a.top, a.state, a.id, SPRITES, ORDER)).toEqual([]);
    couriers[0]!.x = 1; // (0, 0) → (1, 0): its 5×5 sprite stays in the first tile
    a = arrays(couriers);
    expect(frame.paint(couriers.length, a.left, a.top, a.state, a.id, SPRITES, ORDER)).toEqual([{ x: 0, y: 0, w: 8, h: 8 }]);
  });

  it('repaints everything after invalidate', () => {
    const frame = new SpriteFrame(W, H, TILE);
    const a = arrays([{ id: 0, x: 3, y: 3, state: 1 }]);
    frame.paint(1, a.left, a.top, a.state, a.id, SPRITES, ORDER);
    frame.invalidate();
    expect(frame.paint(1, a.left, a.top, a.state, a.id, SPRITES, ORDER)).toBeNull();
  });
});
