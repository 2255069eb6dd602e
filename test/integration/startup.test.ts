// Entry points refuse a bad configuration at once, naming the variable.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function start(script: string, args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('start-up configuration', () => {
  it.each([
    ['server/index.ts', [], { PORT: 'eighty' }, /server: configuration error: PORT: expected a whole number, got "eighty"/],
    ['server/index.ts', [], { REDIS_URL: 'http://cache' }, /REDIS_URL: expected a redis: or rediss: URL/],
    ['server/index.ts', [], { OPS_USERS: 'ana:pw,hunter2' }, /server: configuration error: OPS_USERS: entry 2: expected name:password$/m],
    // the built-in secrets are in the source: refused on a server reachable from elsewhere
    ['server/index.ts', [], { HOST: '0.0.0.0', AUTH_SECRET: '', OPS_USERS: '' }, /server: configuration error: AUTH_SECRET and OPS_USERS: are not set/],
    ['server/index.ts', [], { HOST: '0.0.0.0', AUTH_SECRET: 'a-real-secret-0123456789', OPS_USERS: '' }, /server: configuration error: OPS_USERS: is not set .*ops:hash-password/],
    ['server/index.ts', [], { HOST: '10.0.0.7', AUTH_SECRET: 'lastmile-local-development-secret', OPS_USERS: 'ana:pw' }, /server: configuration error: AUTH_SECRET: is not set \(or is the built-in/],
    ['workers/index.ts', ['location'], { KAFKA_BROKERS: 'kafka' }, /worker location: configuration error: KAFKA_BROKERS: expected host:port/],
  ])('%s with %o exits naming the variable', (script, args, env, message) => {
    const result = start(script, args, env);
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(message);
  });

  it('names the workers it knows when given an unknown one', () => {
    const result = start('workers/index.ts', ['teleporter'], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: tsx workers\/index.ts <location\|orders\|activity\|archive>/);
  });
});
