// A uniform grid over the screen for hover and click: the points drawn are bucketed by cell
// (a counting sort into flat arrays), and a query looks only at the cells around the pointer.
export class HitGrid {
  private cols = 0;
  private rows = 0;
  private cellStart = new Int32Array(1);
  private members = new Int32Array(0);
  private xs: Float32Array = new Float32Array(0);
  private ys: Float32Array = new Float32Array(0);

  constructor(private readonly cellPx = 24) {}

  /** Indexes the first `count` points (screen pixels); those off the width × height screen are left out. */
  build(xs: Float32Array, ys: Float32Array, count: number, width: number, height: number): void {
    this.xs = xs;
    this.ys = ys;
    this.cols = Math.max(1, Math.ceil(width / this.cellPx));
    this.rows = Math.max(1, Math.ceil(height / this.cellPx));
    const cells = this.cols * this.rows;
    const cellOf = new Int32Array(count);
    const start = new Int32Array(cells + 1);
    for (let i = 0; i < count; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      const cell = x < 0 || y < 0 || x >= width || y >= height ? -1 : Math.floor(y / this.cellPx) * this.cols + Math.floor(x / this.cellPx);
      cellOf[i] = cell;
      if (cell >= 0) start[cell + 1]!++;
    }
    for (let c = 0; c < cells; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, cells);
    const members = new Int32Array(start[cells]!);
    for (let i = 0; i < count; i++) if (cellOf[i]! >= 0) members[fill[cellOf[i]!]!++] = i;
    this.cellStart = start;
    this.members = members;
  }

  /** The point nearest (x, y) within `radiusPx`, or -1. Of equally near points, the one drawn last (on top). */
  nearest(x: number, y: number, radiusPx: number): number {
    const c0 = Math.max(0, Math.floor((x - radiusPx) / this.cellPx));
    const c1 = Math.min(this.cols - 1, Math.floor((x + radiusPx) / this.cellPx));
    const r0 = Math.max(0, Math.floor((y - radiusPx) / this.cellPx));
    const r1 = Math.min(this.rows - 1, Math.floor((y + radiusPx) / this.cellPx));
    let best = -1;
    let bestD2 = radiusPx * radiusPx;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.cellStart[cell]!; k < this.cellStart[cell + 1]!; k++) {
          const i = this.members[k]!;
          const dx = this.xs[i]! - x;
          const dy = this.ys[i]! - y;
          const d2 = dx * dx + dy * dy;
          if (d2 < bestD2 || (d2 === bestD2 && i > best)) {
            best = i;
            bestD2 = d2;
          }
        }
      }
    }
    return best;
  }
}
