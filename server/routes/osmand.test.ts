// The OsmAnd endpoint's answers when a store is away (found by the soak: a Redis restart
// answered six positions 500 instead of 503, and the apps would not have sent them again).
import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/http/errors';
import { type OsmandDeps, handleOsmand } from './osmand';

function request(url: string): IncomingMessage {
  const req = new PassThrough() as unknown as IncomingMessage;
  Object.assign(req, { url, method: 'POST', headers: {} });
  (req as unknown as PassThrough).end();
  return req;
}

describe('handleOsmand', () => {
  it('answers 503 (send again) when the device cannot be looked up, not 500', async () => {
    const down = () => Promise.reject(new Error('Reached the max retries per request limit'));
    const deps = { redis: { get: down }, db: { device: { findUnique: down } } } as unknown as OsmandDeps;
    const res = {} as ServerResponse;
    const err = await handleOsmand(request('/s3cret?id=phone&lat=1&lon=2'), res, 's3cret', deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(503);
  });
});
