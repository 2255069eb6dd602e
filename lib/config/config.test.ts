import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index';

describe('loadConfig', () => {
  it('serves local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
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
  ])('fails naming the variable for %o', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
