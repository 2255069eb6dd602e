'use client';

// The courier's position near the drop-off. Drawn on a plain background: tiles are optional
// (NEXT_PUBLIC_TILE_URL), so the map reads well where no tile server can be reached.
import 'leaflet/dist/leaflet.css';
import { CircleMarker, MapContainer, TileLayer, Tooltip, useMap } from 'react-leaflet';
import { useEffect } from 'react';

interface Point {
  lat: number;
  lng: number;
}

function Follow({ point }: { point: Point }) {
  const map = useMap();
  useEffect(() => {
    map.panTo([point.lat, point.lng]);
  }, [map, point.lat, point.lng]);
  return null;
}

export default function OrderMap({ courier, dropoff }: { courier: Point; dropoff: Point | null }) {
  const tiles = process.env.NEXT_PUBLIC_TILE_URL;
  return (
    <MapContainer center={[courier.lat, courier.lng]} zoom={15} className="order-map" attributionControl={Boolean(tiles)}>
      {tiles ? <TileLayer url={tiles} /> : null}
      {dropoff ? (
        <CircleMarker center={[dropoff.lat, dropoff.lng]} radius={8} pathOptions={{ color: '#8b98a5', fillOpacity: 0.6 }}>
          <Tooltip permanent direction="top">Drop-off</Tooltip>
        </CircleMarker>
      ) : null}
      <CircleMarker center={[courier.lat, courier.lng]} radius={10} pathOptions={{ color: '#4cc38a', fillOpacity: 0.9 }}>
        <Tooltip permanent direction="bottom">Courier</Tooltip>
      </CircleMarker>
      <Follow point={courier} />
    </MapContainer>
  );
}
