// The map's colours per drawn state, shared by the canvas and the legend.
import type { DrawnState } from '@/lib/map/courier-store';

export const STATE_COLOURS: Record<DrawnState, string> = {
  idle: '#58a6ff',
  to_pickup: '#e3b341',
  delivering: '#3fb950',
  stale: '#6e7681',
};

export const STATE_LABELS: Record<DrawnState, string> = {
  idle: 'idle',
  to_pickup: 'to pickup',
  delivering: 'delivering',
  stale: 'stale',
};
