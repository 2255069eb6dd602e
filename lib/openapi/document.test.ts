import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './document';

describe('OpenAPI document', () => {
  const doc = openApiDocument();

  it('describes the hot endpoints with their error answers', () => {
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/events', '/api/orders/{orderId}/location', '/api/couriers']));
    expect(Object.keys(doc.paths['/api/events'].post.responses)).toEqual(['202', '400', '401', '403', '413', '415', '429', '503']);
    expect(doc.paths['/api/couriers'].get.security).toEqual([{ opsSession: [] }]);
  });

  it('inlines every schema reference, so its event schemas compile on their own', () => {
    expect(JSON.stringify(doc)).not.toContain('_defs');
    const ajv = new Ajv({ strict: false });
    const schemas = doc.components.schemas as Record<string, object>;
    const validate = ajv.compile(schemas.CourierLocationV1!);
    const ping = { type: 'courier.location', version: 1, eventId: 'evt-00000001', courierId: 'c', lat: 1, lng: 2, occurredAt: 1_800_000_000_000 };
    expect(validate(ping)).toBe(true);
    expect(validate({ ...ping, lat: 91 })).toBe(false);
  });
});
