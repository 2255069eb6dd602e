// The couriers' Leaflet layer: one canvas in the overlay pane, redrawn on requestAnimationFrame
// while couriers glide, a replay plays or the view changes, and not otherwise. Every courier is
// a pre-drawn sprite of its state's colour, copied into one pixel buffer put on the canvas
// (lib/map/pixel-sprites.ts says why not drawImage); the buffer is kept between redraws and
// only the tiles where a courier moved by a pixel or changed colour are repainted and put
// (lib/map/sprite-frame.ts), unless the view changed or a trail or ring is drawn. Below
// CLUSTER_BELOW_ZOOM, grid clusters instead. Positions are projected from world units with a multiply and an add; only
// couriers on screen are drawn. Trails and rings go on top. Hover and click ask hitTest.
import L from 'leaflet';
import { type Clusters, clusterOnGrid } from '@/lib/map/clusters';
import { type CourierStore, DRAWN_STATES, type DrawnState, STALE } from '@/lib/map/courier-store';
import { HitGrid } from '@/lib/map/hit-grid';
import { latOf, lngOf } from '@/lib/map/mercator';
import type { PixelSprite } from '@/lib/map/pixel-sprites';
import { SpriteFrame } from '@/lib/map/sprite-frame';
import type { CourierPosition } from '@/lib/realtime/socket-events';
import { type View, type WorldPath, clusterRadius, makeSprite, paintClusters, ring, strokePath } from './paint';

export const CLUSTER_BELOW_ZOOM = 12;
const CLUSTER_CELL_PX = 56;
const HIT_RADIUS_PX = 8;
/** Couriers this far off the screen are still drawn, so their dots do not pop at the edges. */
const MARGIN_PX = 8;
/** Drawing order: grey under the rest, busy couriers on top. */
const DRAW_ORDER = [STALE, 0, 1, 2];

export interface MapStats {
  /** Canvas redraws so far. */
  frames: number;
  /** Time the last redraw took, and a moving average (ms). */
  drawMs: number;
  avgDrawMs: number;
  /** Couriers (or clusters) drawn by the last redraw, and couriers known. */
  drawn: number;
  couriers: number;
  mode: 'couriers' | 'clusters';
}

/**
 * Set on window by a benchmark (before the page loads) to trace what reaches the screen: each
 * live frame as it arrives and the end of the first redraw after it, and the end of every
 * redraw (performance.now() ms). Absent in normal use, when nothing is recorded.
 */
export interface MapTrace {
  frames: { receivedAt: number; drawnAt: number; positions: CourierPosition[] }[];
  draws: number[];
}

export interface DrawnCourier {
  /** Container pixels where it was last drawn. */
  x: number;
  y: number;
  state: DrawnState;
  fixAt: number;
}

declare global {
  interface Window {
    /** Redraw timings, for benchmarks and tests. */
    __mapStats?: MapStats;
    /** Where a courier was last drawn, for tests. */
    __mapProbe?: (courierId: string) => DrawnCourier | null;
    /** Frame and redraw times, when a benchmark asks for them. */
    __mapTrace?: MapTrace;
  }
}

export type MapHit = { kind: 'courier'; index: number } | { kind: 'cluster'; lat: number; lng: number };

export class CourierLayer extends L.Layer {
  /** The selected courier's index (-1: none): ringed, with its trail. */
  selected = -1;
  /** The selected courier's recent fixes; the line ends at the courier. */
  trail: WorldPath | null = null;
  /** The history being replayed, and where the replay is: played up to point `upTo`, then at (x, y). */
  replayPath: WorldPath | null = null;
  replayHead: { x: number; y: number; upTo: number } | null = null;
  /** Called before each redraw with performance.now(); true asks for another frame (a replay playing). */
  beforeDraw: ((now: number) => boolean) | null = null;

  readonly stats: MapStats = { frames: 0, drawMs: 0, avgDrawMs: 0, drawn: 0, couriers: 0, mode: 'couriers' };
  private map: L.Map | null = null;
  private canvas: HTMLCanvasElement | null = null;
  private raf = 0;
  private view: View = { scale: 1, ox: 0, oy: 0, w: 0, h: 0, dpr: 1 };
  // the couriers drawn by the last redraw: screen positions, store indexes, states
  private drawnX = new Float32Array(0);
  private drawnY = new Float32Array(0);
  private drawnIndex = new Int32Array(0);
  private drawnState = new Uint8Array(0);
  private drawnCount = 0;
  private clusters: Clusters | null = null;
  private readonly grid = new HitGrid(24);
  private gridStale = true;
  private readonly sprites = new Map<string, PixelSprite>();
  /** The frame the couriers are copied into, as big as the canvas, and the same pixels as ImageData. */
  private frameBuffer: SpriteFrame | null = null;
  private image: ImageData | null = null;
  /** Where each drawn courier's sprite goes (device pixels, top-left). */
  private blitLeft = new Int32Array(0);
  private blitTop = new Int32Array(0);
  /** The view the frame buffer was painted for; a trail or ring was drawn over it. */
  private paintedView = '';
  private overlaid = false;

  constructor(private readonly store: CourierStore) {
    super();
  }

  override onAdd(map: L.Map): this {
    this.map = map;
    // Hidden while Leaflet animates a zoom; redrawn at the new zoom when it ends.
    this.canvas = L.DomUtil.create('canvas', 'courier-canvas leaflet-zoom-hide', map.getPanes().overlayPane);
    map.on('move zoomend viewreset resize', this.requestRedraw);
    window.__mapStats = this.stats;
    window.__mapProbe = (courierId) => this.probe(courierId);
    this.requestRedraw();
    return this;
  }

  override onRemove(map: L.Map): this {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    map.off('move zoomend viewreset resize', this.requestRedraw);
    this.canvas?.remove();
    this.canvas = null;
    this.map = null;
    delete window.__mapStats;
    delete window.__mapProbe;
    return this;
  }

  /** Draws at the next animation frame (once, however often it is asked). */
  requestRedraw = (): void => {
    if (this.raf === 0 && this.map) this.raf = requestAnimationFrame(this.frame);
  };

  private frame = (): void => {
    this.raf = 0;
    const started = performance.now();
    const gliding = this.store.interpolate(started);
    const playing = this.beforeDraw?.(started) ?? false;
    this.draw();
    const ended = performance.now();
    const ms = ended - started;
    const trace = window.__mapTrace;
    if (trace) {
      trace.draws.push(ended);
      for (let i = trace.frames.length - 1; i >= 0 && trace.frames[i]!.drawnAt === 0; i--) trace.frames[i]!.drawnAt = ended;
    }
    const s = this.stats;
    s.frames++;
    s.drawMs = ms;
    s.avgDrawMs = s.frames === 1 ? ms : s.avgDrawMs * 0.9 + ms * 0.1;
    if (gliding || playing) this.requestRedraw();
  };

  private draw(): void {
    const { map, canvas } = this;
    const ctx = canvas?.getContext('2d');
    if (!map || !canvas || !ctx) return;
    const { x: w, y: h } = map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const topLeft = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(canvas, topLeft);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const zoom = map.getZoom();
    const origin = map.getPixelOrigin();
    // container pixel = world unit × scale − (ox, oy)
    this.view = { scale: 256 * 2 ** zoom, ox: origin.x + topLeft.x, oy: origin.y + topLeft.y, w, h, dpr };
    ctx.setTransform(1, 0, 0, 1, 0, 0);

    this.collectVisible();
    this.gridStale = true;
    const overlays = this.selected >= 0 || this.replayPath !== null || this.replayHead !== null;
    if (zoom < CLUSTER_BELOW_ZOOM) {
      this.frameBuffer?.invalidate();
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      this.clusters = clusterOnGrid(this.drawnX, this.drawnY, this.drawnState, this.drawnCount, CLUSTER_CELL_PX, w, h);
      paintClusters(ctx, this.clusters, dpr);
      this.stats.drawn = this.clusters.count;
      this.stats.mode = 'clusters';
    } else {
      this.clusters = null;
      this.drawCouriers(ctx, zoom >= 15 ? 6 : zoom >= 13 ? 4.5 : 3.5, overlays);
      this.stats.drawn = this.drawnCount;
      this.stats.mode = 'couriers';
    }
    this.stats.couriers = this.store.size;

    if (this.replayPath) strokePath(ctx, this.view, this.replayPath, this.replayPath.count, 'rgba(230, 237, 243, 0.22)', null);
    if (this.replayPath && this.replayHead) strokePath(ctx, this.view, this.replayPath, this.replayHead.upTo + 1, 'rgba(230, 237, 243, 0.8)', this.replayHead);
    const selected = this.selected;
    if (this.trail && selected >= 0) {
      // up to the fixes the courier has passed, then to where it is drawn (it glides towards its newest)
      let passed = this.trail.count;
      while (passed > 0 && this.trail.t[passed - 1]! >= this.store.fixAt[selected]!) passed--;
      strokePath(ctx, this.view, this.trail, passed, 'rgba(230, 237, 243, 0.65)', { x: this.store.x[selected]!, y: this.store.y[selected]! });
    }
    if (selected >= 0) ring(ctx, this.view, this.store.x[selected]!, this.store.y[selected]!, 9, '#e6edf3');
    if (this.replayHead) ring(ctx, this.view, this.replayHead.x, this.replayHead.y, 7, '#f778ba');
    this.overlaid = overlays;
  }

  /** Fills the drawn* arrays with the couriers on screen (and just off it). */
  private collectVisible(): void {
    const { store } = this;
    const { scale, ox, oy, w, h } = this.view;
    if (this.drawnX.length < store.size) {
      const capacity = Math.max(1024, store.size * 2);
      this.drawnX = new Float32Array(capacity);
      this.drawnY = new Float32Array(capacity);
      this.drawnIndex = new Int32Array(capacity);
      this.drawnState = new Uint8Array(capacity);
      this.blitLeft = new Int32Array(capacity);
      this.blitTop = new Int32Array(capacity);
    }
    const xs = store.x;
    const ys = store.y;
    const states = store.state;
    let n = 0;
    for (let i = 0; i < store.size; i++) {
      const sx = xs[i]! * scale - ox;
      if (sx < -MARGIN_PX || sx > w + MARGIN_PX) continue;
      const sy = ys[i]! * scale - oy;
      if (sy < -MARGIN_PX || sy > h + MARGIN_PX) continue;
      this.drawnX[n] = sx;
      this.drawnY[n] = sy;
      this.drawnIndex[n] = i;
      this.drawnState[n] = states[i]!;
      n++;
    }
    this.drawnCount = n;
  }

  /**
   * Every courier on screen as its state's sprite, into the frame buffer; then the buffer (or
   * just the tiles that changed) onto the canvas. With a trail or ring drawn on top, now or
   * last time, or a new view, all of it.
   */
  private drawCouriers(ctx: CanvasRenderingContext2D, radius: number, overlays: boolean): void {
    const { width, height } = ctx.canvas;
    const { dpr, scale, ox, oy } = this.view;
    if (!this.frameBuffer || this.frameBuffer.width !== width || this.frameBuffer.height !== height) {
      this.frameBuffer = new SpriteFrame(width, height);
      this.image = new ImageData(new Uint8ClampedArray(this.frameBuffer.pixels.buffer), width, height);
    }
    const sprites: PixelSprite[] = [];
    for (const state of DRAW_ORDER) {
      const key = `${state}:${radius}:${dpr}`;
      let sprite = this.sprites.get(key);
      if (!sprite) this.sprites.set(key, (sprite = makeSprite(state, radius, dpr)));
      sprites[state] = sprite;
    }
    const half = sprites[STALE]!.size / 2;
    for (let k = 0; k < this.drawnCount; k++) {
      this.blitLeft[k] = Math.round(this.drawnX[k]! * dpr - half);
      this.blitTop[k] = Math.round(this.drawnY[k]! * dpr - half);
    }
    const view = `${scale}|${ox}|${oy}|${radius}|${dpr}`;
    const full = overlays || this.overlaid || view !== this.paintedView;
    this.paintedView = view;
    const rects = this.frameBuffer.paint(this.drawnCount, this.blitLeft, this.blitTop, this.drawnState, this.drawnIndex, sprites, DRAW_ORDER, full);
    if (rects === null) ctx.putImageData(this.image!, 0, 0);
    else for (const r of rects) ctx.putImageData(this.image!, 0, 0, r.x, r.y, r.w, r.h);
  }

  /** What is drawn at container point (x, y): a courier, a cluster, or nothing. */
  hitTest(x: number, y: number): MapHit | null {
    const { scale, ox, oy, w, h } = this.view;
    if (this.clusters) {
      const c = this.clusters;
      for (let k = 0; k < c.count; k++) {
        const r = clusterRadius(c.total[k]!);
        if ((c.x[k]! - x) ** 2 + (c.y[k]! - y) ** 2 <= r * r) return { kind: 'cluster', lat: latOf((c.y[k]! + oy) / scale), lng: lngOf((c.x[k]! + ox) / scale) };
      }
      return null;
    }
    if (this.gridStale) {
      this.grid.build(this.drawnX, this.drawnY, this.drawnCount, w, h);
      this.gridStale = false;
    }
    const k = this.grid.nearest(x, y, HIT_RADIUS_PX);
    return k < 0 ? null : { kind: 'courier', index: this.drawnIndex[k]! };
  }

  /** Centres the map on the courier, zooming in to street level. */
  focus(index: number): void {
    this.map?.setView([latOf(this.store.y[index]!), lngOf(this.store.x[index]!)], Math.max(this.map.getZoom(), 15));
  }

  private probe(courierId: string): DrawnCourier | null {
    const i = this.store.indexOf(courierId);
    if (i < 0) return null;
    const { scale, ox, oy } = this.view;
    return { x: this.store.x[i]! * scale - ox, y: this.store.y[i]! * scale - oy, state: DRAWN_STATES[this.store.state[i]!]!, fixAt: this.store.fixAt[i]! };
  }
}
