import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index';

describe('loadConfig', () => {
  it('serves local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('serves the local ops user, flagged so the server can warn', () => {
    const { auth } = loadConfig({});
    expect([...auth.opsUsers.keys()]).toEqual(['ops']);
    expect(auth.usingDevOpsUsers).toBe(true);
    expect(auth.opsSessionMs).toBe(12 * 3_600_000);
    expect(auth.opsCookieSecure).toBe(false);
  });

  it('reads the ops users, the session length and whether cookies must be Secure', () => {
    const { auth } = loadConfig({ OPS_USERS: 'ana:pw, bo:pw2', OPS_SESSION_HOURS: '8', PUBLIC_URL: 'https://ops.example.com' });
    expect([...auth.opsUsers.keys()]).toEqual(['ana', 'bo']);
    expect(auth.usingDevOpsUsers).toBe(false);
    expect(auth.opsSessionMs).toBe(8 * 3_600_000);
    expect(auth.opsCookieSecure).toBe(true);
  });

  it('reads what is set', () => {
    const config = loadConfig({ PORT: '8080', KAFKA_BROKERS: 'a:1, b:2', LOG_LEVEL: 'debug' });
    expect(config.port).toBe(8080);
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.logLevel).toBe('debug');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ KAFKA_BROKERS: 'nohostport' }, 'KAFKA_BROKERS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ INGEST_MAX_BODY_BYTES: '2000000' }, 'INGEST_MAX_BODY_BYTES'],
    [{ OPS_USERS: 'ana' }, 'OPS_USERS'],
    [{ OPS_USERS: ' , ' }, 'OPS_USERS'],
    [{ OPS_USERS: 'ana:pw,ana:pw2' }, 'OPS_USERS'],
    [{ OPS_USERS: 'ana:scrypt$nope' }, 'OPS_USERS'],
    [{ OPS_SESSION_HOURS: '0' }, 'OPS_SESSION_HOURS'],
    [{ OPS_SESSION_HOURS: 'twelve' }, 'OPS_SESSION_HOURS'],
  ])('fails naming the variable for %o', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
