import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { osmandEventId, osmandPing } from './osmand-ping';

const NOW = Date.UTC(2026, 11, 6, 12);
const time = { now: NOW, maxFutureMs: 300_000 };
const fix = { deviceId: 'phone-1', occurredAt: NOW - 1000, position: { lat: -23.55, lng: -46.63 }, valid: true };

describe('osmandPing', () => {
  it("is the courier's ping, with a stable id per device and fix time", () => {
    const ping = osmandPing({ ...fix, speedMps: 5, headingDeg: 370, accuracyM: 0, batteryPct: 87.6 }, 'c-1', time);
    expect(ping.event).toEqual({
      type: 'courier.location',
      version: 2,
      eventId: osmandEventId('phone-1', NOW - 1000),
      courierId: 'c-1',
      lat: -23.55,
      lng: -46.63,
      occurredAt: NOW - 1000,
      speedMps: 5,
      headingDeg: 10,
      batteryPct: 88,
    });
    expect(osmandEventId('phone-1', NOW - 1000)).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(osmandEventId('phone-1', NOW - 1000)).not.toBe(osmandEventId('phone-2', NOW - 1000));
    expect(osmandEventId('phone-1', NOW - 1000)).not.toBe(osmandEventId('phone-1', NOW));
  });

  it.each([
    [{ position: { lat: 91, lng: 0 } }, 'lat'],
    [{ position: { lat: 0, lng: -181 } }, 'lon'],
    [{ speedMps: 150 }, 'speed'],
    [{ occurredAt: NOW + 3_600_000 }, 'timestamp'],
  ])('refuses %j naming %s', (change, field) => {
    try {
      osmandPing({ ...fix, ...change }, 'c-1', time);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).issues[0]?.field).toBe(field);
      expect((err as AppError).message.startsWith(field)).toBe(true);
    }
  });
});
