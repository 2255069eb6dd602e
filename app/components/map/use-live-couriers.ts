// Feeds the courier store: the snapshot first, then every live frame. The snapshot is fetched
// again after each (re)connection, once the socket is in the ops room, so nothing between the
// two is missed (the store ignores positions older than those it holds), and every minute, as
// a net under the best-effort fan-out and for couriers whose order changed while they stood still.
import { useCallback, useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { CouriersSnapshot } from '@/lib/couriers/list-couriers';
import type { CourierStore } from '@/lib/map/courier-store';
import type { ClientToServerEvents, CourierPosition, ServerToClientEvents } from '@/lib/realtime/socket-events';
import { getOpsJson } from '../get-ops-json';

const RESYNC_MS = 60_000;

export type LiveState = 'connecting' | 'live' | 'offline' | 'refused';
export type MapSettings = Pick<CouriersSnapshot, 'staleAfterMs' | 'stalledAfterMs' | 'frameMs'>;

/**
 * `onUpdate` runs after the store took a frame (with it) or a snapshot (null). Returns the
 * settings from the snapshot, the socket's state, and the server's clock.
 */
export function useLiveCouriers(store: CourierStore, onUpdate: (frame: CourierPosition[] | null) => void) {
  const [settings, setSettings] = useState<MapSettings | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const clockOffset = useRef(0);
  const update = useRef(onUpdate);
  useEffect(() => {
    update.current = onUpdate;
  }, [onUpdate]);
  const serverNow = useCallback(() => Date.now() + clockOffset.current, []);

  useEffect(() => {
    let stopped = false;
    let staleAfterMs: number | null = null;
    const recount = () => {
      if (staleAfterMs !== null) store.refreshStale(Date.now() + clockOffset.current, staleAfterMs);
    };
    const loadSnapshot = async () => {
      try {
        const snapshot = await getOpsJson<CouriersSnapshot>('/api/couriers');
        if (stopped) return;
        clockOffset.current = snapshot.at - Date.now();
        staleAfterMs = snapshot.staleAfterMs;
        store.frameMs = snapshot.frameMs;
        store.apply(snapshot.couriers, performance.now());
        recount();
        setSettings({ staleAfterMs: snapshot.staleAfterMs, stalledAfterMs: snapshot.stalledAfterMs, frameMs: snapshot.frameMs });
        setError(null);
        update.current(null);
      } catch (err) {
        if (!stopped) setError(err instanceof Error ? err.message : String(err));
      }
    };

    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket'] });
    socket.on('connect', () => {
      socket.emit('ops:join', (ack) => {
        setLive(ack.ok ? 'live' : 'refused');
        // Refused: the session lapsed, and the snapshot's 401 takes the page to the login form.
        void loadSnapshot();
      });
    });
    socket.on('disconnect', () => setLive('offline'));
    socket.on('positions:frame', (frame) => {
      const at = performance.now();
      window.__mapTrace?.frames.push({ receivedAt: at, drawnAt: 0, positions: frame });
      store.apply(frame, at);
      recount();
      update.current(frame);
    });
    const resync = setInterval(() => void loadSnapshot(), RESYNC_MS);
    return () => {
      stopped = true;
      clearInterval(resync);
      socket.disconnect();
    };
  }, [store]);

  return { settings, live, error, serverNow };
}
