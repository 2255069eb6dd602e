// At low zoom the map draws cells instead of couriers: the screen is cut into square cells
// and each non-empty cell becomes one cluster at its couriers' centroid, with a count per
// drawn state (idle, to pickup, delivering, stale).
import { DRAWN_STATES } from './courier-store';

const STATES = DRAWN_STATES.length;

export interface Clusters {
  count: number;
  /** Centroid of each cluster, in screen pixels. */
  x: Float32Array;
  y: Float32Array;
  total: Int32Array;
  /** Couriers per cluster and state: byState[cluster * 4 + state]. */
  byState: Int32Array;
}

/** Clusters the first `count` points (screen pixels, with their drawn state); points off the screen are left out. */
export function clusterOnGrid(xs: Float32Array, ys: Float32Array, states: Uint8Array, count: number, cellPx: number, width: number, height: number): Clusters {
  const cols = Math.max(1, Math.ceil(width / cellPx));
  const rows = Math.max(1, Math.ceil(height / cellPx));
  const clusterOfCell = new Int32Array(cols * rows).fill(-1);
  const sumX = new Float64Array(Math.min(count, cols * rows));
  const sumY = new Float64Array(sumX.length);
  const total = new Int32Array(sumX.length);
  const byState = new Int32Array(sumX.length * STATES);
  let clusters = 0;
  for (let i = 0; i < count; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const cell = Math.floor(y / cellPx) * cols + Math.floor(x / cellPx);
    let c = clusterOfCell[cell]!;
    if (c < 0) c = clusterOfCell[cell] = clusters++;
    sumX[c]! += x;
    sumY[c]! += y;
    total[c]!++;
    byState[c * STATES + states[i]!]!++;
  }
  const x = new Float32Array(clusters);
  const y = new Float32Array(clusters);
  for (let c = 0; c < clusters; c++) {
    x[c] = sumX[c]! / total[c]!;
    y[c] = sumY[c]! / total[c]!;
  }
  return { count: clusters, x, y, total: total.slice(0, clusters), byState: byState.slice(0, clusters * STATES) };
}
