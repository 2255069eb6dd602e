import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { kafkaSasl } from './credentials';

const dir = mkdtempSync(join(tmpdir(), 'lastmile-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const usersFile = join(dir, 'kafka-users.json');
writeFileSync(usersFile, JSON.stringify({ admin: { username: 'lastmile-admin', password: 'a' }, server: { username: 'lastmile-server', password: 's' } }));

describe('kafkaSasl', () => {
  it('signs in as KAFKA_USERNAME when it is set, whichever service asks', () => {
    const { kafka } = loadConfig({ KAFKA_USERNAME: 'svc', KAFKA_PASSWORD: 'pw', KAFKA_USERS_FILE: usersFile });
    expect(kafkaSasl(kafka, 'location')).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 'pw' });
  });

  it("takes the service's own entry of the users file otherwise", () => {
    const { kafka } = loadConfig({ KAFKA_USERS_FILE: usersFile });
    expect(kafkaSasl(kafka, 'server')).toEqual({ mechanism: 'scram-sha-512', username: 'lastmile-server', password: 's' });
    expect(kafkaSasl(kafka, 'admin')).toMatchObject({ username: 'lastmile-admin' });
  });

  it('names KAFKA_USERNAME when neither says who to be', () => {
    const { kafka } = loadConfig({ KAFKA_USERS_FILE: usersFile });
    expect(() => kafkaSasl(kafka, 'activity')).toThrow(ConfigError);
    expect(() => kafkaSasl(kafka, 'activity')).toThrow(/^KAFKA_USERNAME: not set, and .* has no "activity" user/);
    expect(() => kafkaSasl(loadConfig({ KAFKA_USERS_FILE: join(dir, 'missing.json') }).kafka, 'server')).toThrow(/KAFKA_USERNAME/);
  });

  it('signs in as nobody when the broker has no SASL', () => {
    expect(kafkaSasl(loadConfig({ KAFKA_SASL_MECHANISM: 'none' }).kafka, 'server')).toBeUndefined();
  });

  it('refuses a user without a password, a password without a user and an unknown mechanism', () => {
    expect(() => loadConfig({ KAFKA_USERNAME: 'svc' })).toThrow(/^KAFKA_PASSWORD: expected the password of KAFKA_USERNAME svc/);
    expect(() => loadConfig({ KAFKA_PASSWORD: 'pw' })).toThrow(/^KAFKA_PASSWORD: set without KAFKA_USERNAME/);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/^KAFKA_SASL_MECHANISM: expected one of scram-sha-512, none/);
  });
});
