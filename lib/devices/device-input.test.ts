import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { deviceUrls, parseDeviceInput } from './device-input';

describe('parseDeviceInput', () => {
  it('takes a device, its courier and a source (default "default")', () => {
    expect(parseDeviceInput({ deviceId: '356938035643809', courierId: 'c-42' })).toEqual({ deviceId: '356938035643809', courierId: 'c-42', sourceId: 'default' });
    expect(parseDeviceInput({ deviceId: 'd', courierId: 'c', sourceId: 'fleet-a' }).sourceId).toBe('fleet-a');
  });

  it.each([
    [null, '/'],
    [[], '/'],
    [{ courierId: 'c' }, '/deviceId'],
    [{ deviceId: 'd' }, '/courierId'],
    [{ deviceId: 'a b', courierId: 'c' }, '/deviceId'],
    [{ deviceId: 'd', courierId: 'c', sourceId: 7 }, '/sourceId'],
  ])('refuses %j naming %s', (body, field) => {
    try {
      parseDeviceInput(body);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).issues[0]?.field).toBe(field);
    }
  });
});

describe('deviceUrls', () => {
  it("the protocol's own port (plain HTTP), or /osmand on the main one", () => {
    expect(deviceUrls('https://ops.example.com', 5055, 'p 1', 's3cr3t')).toEqual({
      traccarClient: 'http://ops.example.com:5055/s3cr3t',
      osmand: 'http://ops.example.com:5055/s3cr3t?id=p%201&lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}',
    });
    expect(deviceUrls('https://ops.example.com', 0, 'p1', 's').traccarClient).toBe('https://ops.example.com/osmand/s');
  });
});
