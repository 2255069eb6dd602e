// A device's registration as ops or an integrator send it, and the URLs its app is set up
// with (the secret is the URL path's last segment: server/routes/osmand.ts).
import { AppError } from '../http/errors';
import { parseOrderId } from '../orders/order-id';
import type { DeviceRecord } from './device-store';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ deviceId, courierId, sourceId? }`, or 400 naming the field. */
export function parseDeviceInput(body: unknown): DeviceRecord {
  if (!isObject(body)) throw new AppError('validation_failed', 'send { "deviceId": …, "courierId": … }', [{ field: '/', rule: 'type', message: 'the body must be an object' }]);
  const sourceId = body.sourceId === undefined ? 'default' : parseOrderId(body.sourceId, 'sourceId');
  return { deviceId: parseOrderId(body.deviceId, 'deviceId'), courierId: parseOrderId(body.courierId, 'courierId'), sourceId };
}

export interface DeviceUrls {
  /** Traccar Client's "Server URL" (its "Device identifier" is the device id). */
  traccarClient: string;
  /** OsmAnd's online tracking URL template. */
  osmand: string;
}

/**
 * `base`: the site's public URL; `osmandPort`: the protocol's own port (0: none, the main
 * port's /osmand instead).
 */
export function deviceUrls(base: string, osmandPort: number, deviceId: string, secret: string): DeviceUrls {
  const url = new URL(base);
  const server = osmandPort > 0 ? `${url.protocol === 'https:' ? 'http:' : url.protocol}//${url.hostname}:${osmandPort}/${secret}` : `${url.origin}/osmand/${secret}`;
  return {
    traccarClient: server,
    osmand: `${server}?id=${encodeURIComponent(deviceId)}&lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}`,
  };
}
