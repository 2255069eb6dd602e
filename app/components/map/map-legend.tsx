// Counts by state in the map's colours, the total (data-testid courier-count), and whether
// the live feed is on.
import { DRAWN_STATES, type StateCounts } from '@/lib/map/courier-store';
import { STATE_COLOURS, STATE_LABELS } from './colours';
import type { LiveState } from './use-live-couriers';

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting…', refused: 'Live updates unavailable' };

export function MapLegend({ counts, live, staleAfterMs }: { counts: StateCounts; live: LiveState; staleAfterMs: number | null }) {
  return (
    <div className="map-legend" data-testid="map-legend">
      <span className="badge" data-testid="courier-count">
        {counts.total.toLocaleString()} {counts.total === 1 ? 'courier' : 'couriers'}
      </span>
      <ul>
        {DRAWN_STATES.map((state) => (
          <li key={state} title={state === 'stale' && staleAfterMs ? `not heard from for over ${Math.round(staleAfterMs / 1000)} s` : undefined}>
            <span className="dot" style={{ background: STATE_COLOURS[state] }} />
            {STATE_LABELS[state]} <strong data-testid={`count-${state}`}>{counts[state].toLocaleString()}</strong>
          </li>
        ))}
      </ul>
      <span className={`live live-${live}`} data-testid="live-state">
        {LIVE_TEXT[live]}
      </span>
    </div>
  );
}
