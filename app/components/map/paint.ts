// What the couriers' layer paints besides the couriers themselves: the sprites they are copied
// from, clusters, lines and rings. Coordinates in world units go through the layer's View.
import type { Clusters } from '@/lib/map/clusters';
import { DRAWN_STATES } from '@/lib/map/courier-store';
import { worldX, worldY } from '@/lib/map/mercator';
import type { PixelSprite } from '@/lib/map/pixel-sprites';
import { STATE_COLOURS } from './colours';

/** Container pixel = world unit × scale − (ox, oy); the canvas has dpr device pixels per CSS pixel. */
export interface View {
  scale: number;
  ox: number;
  oy: number;
  w: number;
  h: number;
  dpr: number;
}

/** A line in world units, with each point's time. */
export interface WorldPath {
  x: Float64Array;
  y: Float64Array;
  t: Float64Array;
  count: number;
}

/** The points in world units. */
export function worldPath(points: readonly { lat: number; lng: number; occurredAt: number }[]): WorldPath {
  const x = new Float64Array(points.length);
  const y = new Float64Array(points.length);
  const t = new Float64Array(points.length);
  points.forEach((p, i) => {
    x[i] = worldX(p.lng);
    y[i] = worldY(p.lat);
    t[i] = p.occurredAt;
  });
  return { x, y, t, count: points.length };
}

/** A dot of the state's colour with a dark rim, as pixels. */
export function makeSprite(state: number, radius: number, dpr: number): PixelSprite {
  const canvas = document.createElement('canvas');
  const r = radius * dpr;
  const size = Math.ceil(2 * r + 2 * dpr);
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  ctx.beginPath();
  ctx.arc(size / 2, size / 2, r, 0, 2 * Math.PI);
  ctx.fillStyle = STATE_COLOURS[DRAWN_STATES[state]!];
  ctx.fill();
  ctx.lineWidth = dpr;
  ctx.strokeStyle = 'rgb(15, 20, 25)';
  ctx.stroke();
  return { size, pixels: new Uint32Array(ctx.getImageData(0, 0, size, size).data.buffer) };
}

/** A cluster's radius in CSS pixels, growing with its count. */
export const clusterRadius = (total: number): number => Math.min(26, 7 + 3.2 * Math.log2(total));

/** Each cluster a pie of its states, with its count. */
export function paintClusters(ctx: CanvasRenderingContext2D, clusters: Clusters, dpr: number): void {
  ctx.font = `600 ${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let c = 0; c < clusters.count; c++) {
    const x = clusters.x[c]! * dpr;
    const y = clusters.y[c]! * dpr;
    const total = clusters.total[c]!;
    const r = clusterRadius(total) * dpr;
    let angle = -Math.PI / 2;
    for (let s = 0; s < DRAWN_STATES.length; s++) {
      const part = clusters.byState[c * DRAWN_STATES.length + s]!;
      if (part === 0) continue;
      const end = angle + (2 * Math.PI * part) / total;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.arc(x, y, r, angle, end);
      ctx.closePath();
      ctx.fillStyle = STATE_COLOURS[DRAWN_STATES[s]!];
      ctx.fill();
      angle = end;
    }
    ctx.beginPath();
    ctx.arc(x, y, r * 0.62, 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(15, 20, 25, 0.85)';
    ctx.fill();
    ctx.fillStyle = '#e6edf3';
    ctx.fillText(total > 999 ? `${Math.round(total / 100) / 10}k` : String(total), x, y);
  }
}

/** A line through the path's first `count` points, on to `end` (world units) when given. */
export function strokePath(ctx: CanvasRenderingContext2D, view: View, path: WorldPath, count: number, colour: string, end: { x: number; y: number } | null): void {
  const { scale, ox, oy, dpr } = view;
  if (count === 0) return;
  ctx.beginPath();
  ctx.moveTo((path.x[0]! * scale - ox) * dpr, (path.y[0]! * scale - oy) * dpr);
  for (let i = 1; i < count; i++) ctx.lineTo((path.x[i]! * scale - ox) * dpr, (path.y[i]! * scale - oy) * dpr);
  if (end) ctx.lineTo((end.x * scale - ox) * dpr, (end.y * scale - oy) * dpr);
  ctx.lineWidth = 2.5 * dpr;
  ctx.lineJoin = 'round';
  ctx.strokeStyle = colour;
  ctx.stroke();
}

/** A ring around a point in world units. */
export function ring(ctx: CanvasRenderingContext2D, view: View, wx: number, wy: number, radius: number, colour: string): void {
  const { scale, ox, oy, dpr } = view;
  ctx.beginPath();
  ctx.arc((wx * scale - ox) * dpr, (wy * scale - oy) * dpr, radius * dpr, 0, 2 * Math.PI);
  ctx.lineWidth = 2 * dpr;
  ctx.strokeStyle = colour;
  ctx.stroke();
}
