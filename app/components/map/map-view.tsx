'use client';

// The map's frame: react-leaflet's MapContainer over São Paulo, with the couriers' canvas layer.
// No tiles unless NEXT_PUBLIC_TILE_URL is set at build time: a plain dark background reads
// well where no tile server can be reached. Loaded in the browser only (Leaflet needs window).
import 'leaflet/dist/leaflet.css';
import type { LeafletMouseEvent, Point } from 'leaflet';
import { useEffect, useState } from 'react';
import { MapContainer, TileLayer, useMap } from 'react-leaflet';
import type { CourierStore } from '@/lib/map/courier-store';
import { CourierLayer } from './courier-layer';

export const SAO_PAULO: [number, number] = [-23.58, -46.65];

export interface MapViewProps {
  store: CourierStore;
  /** The layer once it is on the map (null when it leaves). */
  onLayer: (layer: CourierLayer | null) => void;
  /** The courier under the pointer (store index, container pixels), or null. */
  onHover: (hover: { index: number; x: number; y: number } | null) => void;
  /** A courier clicked. */
  onPick: (index: number) => void;
}

function Couriers({ layer, onHover, onPick }: { layer: CourierLayer } & Pick<MapViewProps, 'onHover' | 'onPick'>) {
  const map = useMap();
  useEffect(() => {
    layer.addTo(map);
    // Hit-test once per animation frame, however fast the pointer moves.
    let pointer: Point | null = null;
    let raf = 0;
    const hover = () => {
      raf = 0;
      if (!pointer) return;
      const hit = layer.hitTest(pointer.x, pointer.y);
      map.getContainer().style.cursor = hit ? 'pointer' : '';
      onHover(hit?.kind === 'courier' ? { index: hit.index, x: pointer.x, y: pointer.y } : null);
    };
    const move = (e: LeafletMouseEvent) => {
      pointer = e.containerPoint;
      if (raf === 0) raf = requestAnimationFrame(hover);
    };
    const out = () => {
      pointer = null;
      onHover(null);
    };
    const click = (e: LeafletMouseEvent) => {
      const hit = layer.hitTest(e.containerPoint.x, e.containerPoint.y);
      if (hit?.kind === 'courier') onPick(hit.index);
      else if (hit?.kind === 'cluster') map.setView([hit.lat, hit.lng], map.getZoom() + 2);
    };
    map.on('mousemove', move);
    map.on('mouseout', out);
    map.on('click', click);
    return () => {
      cancelAnimationFrame(raf);
      map.off('mousemove', move);
      map.off('mouseout', out);
      map.off('click', click);
      layer.remove();
    };
  }, [map, layer, onHover, onPick]);
  return null;
}

export default function MapView({ store, onLayer, onHover, onPick }: MapViewProps) {
  const [layer] = useState(() => new CourierLayer(store));
  useEffect(() => {
    onLayer(layer);
    return () => onLayer(null);
  }, [layer, onLayer]);
  const tiles = process.env.NEXT_PUBLIC_TILE_URL;
  return (
    <MapContainer center={SAO_PAULO} zoom={12} className="ops-map-frame" attributionControl={Boolean(tiles)}>
      {tiles ? <TileLayer url={tiles} /> : null}
      <Couriers layer={layer} onHover={onHover} onPick={onPick} />
    </MapContainer>
  );
}
