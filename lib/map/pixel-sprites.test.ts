import { describe, expect, it } from 'vitest';
import { type PixelSprite, blitSprite } from './pixel-sprites';

const SOLID = 0xff0000ff; // opaque red (ABGR as ImageData's bytes read little-endian)
const RIM = 0x400000ff; // a quarter-opaque rim
const OTHER = 0xff00ff00;

// a 3×3 dot: solid centre cross, faint corners, empty nowhere
const dot: PixelSprite = { size: 3, pixels: Uint32Array.from([RIM, SOLID, RIM, SOLID, SOLID, SOLID, RIM, SOLID, RIM]) };
const rows = (buf: Uint32Array, width: number) => Array.from({ length: buf.length / width }, (_, y) => [...buf.slice(y * width, (y + 1) * width)]);

describe('blitSprite', () => {
  it('copies the sprite where it lands', () => {
    const buf = new Uint32Array(5 * 4);
    blitSprite(buf, 5, 4, dot, 1, 1);
    expect(rows(buf, 5)).toEqual([
      [0, 0, 0, 0, 0],
      [0, RIM, SOLID, RIM, 0],
      [0, SOLID, SOLID, SOLID, 0],
      [0, RIM, SOLID, RIM, 0],
    ]);
  });

  it('clips at every edge', () => {
    const buf = new Uint32Array(4 * 3);
    blitSprite(buf, 4, 3, dot, -1, -1); // top-left
    blitSprite(buf, 4, 3, dot, 3, 2); // bottom-right
    expect(rows(buf, 4)).toEqual([
      [SOLID, SOLID, 0, 0],
      [SOLID, RIM, 0, 0],
      [0, 0, 0, RIM],
    ]);
    blitSprite(buf, 4, 3, dot, 10, 10); // nowhere near
    blitSprite(buf, 4, 3, dot, -5, 0);
    expect(rows(buf, 4)[2]).toEqual([0, 0, 0, RIM]);
  });

  it('lets only the solid part cover a dot already drawn', () => {
    const buf = new Uint32Array(3 * 3).fill(OTHER);
    blitSprite(buf, 3, 3, dot, 0, 0);
    expect(rows(buf, 3)).toEqual([
      [OTHER, SOLID, OTHER],
      [SOLID, SOLID, SOLID],
      [OTHER, SOLID, OTHER],
    ]);
  });
});

describe('blitSprite within a clip rectangle', () => {
  it('draws only the part inside it', () => {
    const buf = new Uint32Array(5 * 4);
    blitSprite(buf, 5, 4, dot, 1, 1, 2, 0, 5, 2);
    expect(rows(buf, 5)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, SOLID, RIM, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
  });
});
