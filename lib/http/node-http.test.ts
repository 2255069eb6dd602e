import { describe, expect, it } from 'vitest';
import { assertReadablePath } from './node-http';

describe('assertReadablePath', () => {
  it.each(['/', '/api/orders/o-1', '/orders/caf%C3%A9', '/api/couriers/a%2Fb/trail', '/x%25y'])('lets %s through', (path) => {
    expect(() => assertReadablePath(path)).not.toThrow();
  });

  it.each([
    ['/api/orders/%ff', /not valid percent-encoding/],
    ['/orders/%', /not valid percent-encoding/],
    ['/api/couriers/%/trail', /not valid percent-encoding/],
    ['/api/orders/%c0%ae', /not valid percent-encoding/],
    ['/api/ops/orders/a%00b', /NUL byte/],
  ])('answers %s with 400 invalid_request', (path, message) => {
    expect(() => assertReadablePath(path)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request', message: expect.stringMatching(message) }));
  });
});
