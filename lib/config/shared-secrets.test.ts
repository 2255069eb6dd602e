import { describe, expect, it } from 'vitest';
import { loadConfig } from '.';
import { assertNoBuiltInSecrets, isLoopbackHost } from './shared-secrets';

const SECRET = 'a-deployment-secret-0123456789';
const USERS = 'ana:correct-horse-battery';

describe('built-in secrets', () => {
  it('knows loopback hosts from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.7', '192.168.1.2', 'lastmile.example', '127.0.0.1.example', '']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('are fine on loopback', () => {
    expect(() => assertNoBuiltInSecrets(loadConfig({}))).not.toThrow();
    expect(() => assertNoBuiltInSecrets(loadConfig({ HOST: 'localhost' }))).not.toThrow();
  });

  it.each([
    ['neither set', {}, /^AUTH_SECRET and OPS_USERS: are not set/],
    ['no AUTH_SECRET', { OPS_USERS: USERS }, /^AUTH_SECRET: is not set .*openssl rand/],
    ['no OPS_USERS', { AUTH_SECRET: SECRET }, /^OPS_USERS: is not set .*ops:hash-password/],
    ['AUTH_SECRET set to the built-in value', { AUTH_SECRET: 'lastmile-local-development-secret', OPS_USERS: USERS }, /^AUTH_SECRET: /],
    ['OPS_USERS set to the built-in value', { AUTH_SECRET: SECRET, OPS_USERS: ' ops:lastmile ' }, /^OPS_USERS: /],
  ])('stop a server beyond loopback with %s, naming the variable', (_name, env, message) => {
    for (const HOST of ['0.0.0.0', '10.1.2.3']) expect(() => assertNoBuiltInSecrets(loadConfig({ ...env, HOST }))).toThrow(message);
  });

  it('let a server with its own secrets listen anywhere', () => {
    expect(() => assertNoBuiltInSecrets(loadConfig({ HOST: '0.0.0.0', AUTH_SECRET: SECRET, OPS_USERS: USERS }))).not.toThrow();
  });
});
