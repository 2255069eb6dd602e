import { describe, expect, it } from 'vitest';
import { hashOpsPassword, parseOpsUsers, verifyOpsCredentials } from './ops-credentials';

describe('parseOpsUsers', () => {
  it('reads plain and hashed entries', async () => {
    const hashed = await hashOpsPassword('s3cret, with a comma');
    const users = parseOpsUsers(` ana:pa:ss , bo@night-shift:${hashed}`);
    expect([...users.keys()]).toEqual(['ana', 'bo@night-shift']);
    expect(users.get('ana')?.kind).toBe('plain');
    expect(users.get('bo@night-shift')?.kind).toBe('scrypt');
  });

  it.each([
    ['', /at least one/],
    ['ana', /^entry 1: expected name:password$/],
    ['ana:x,hunter2', /^entry 2: expected name:password$/],
    ['ana:', /^ana: the password is empty$/],
    ['an a:x', /^entry 1: the name "an a"/],
    [':x', /^entry 1: the name ""/],
    ['ana:x,ana:y', /^ana is listed twice$/],
    ['ana:scrypt$abc$def', /^ana: expected scrypt\$<salt>\$<hash>/],
    ['ana:scrypt$' + 'A'.repeat(22) + '$' + 'B'.repeat(20), /^ana: expected scrypt/],
  ])('refuses %j', (text, message) => {
    expect(() => parseOpsUsers(text)).toThrow(message);
  });

  it('never repeats a password in an error', () => {
    for (const text of ['hunter2', 'ana:hunter2,hunter2', 'ana:hunter2,ana:hunter2', 'ana:scrypt$hunter2$hunter2']) {
      expect(() => parseOpsUsers(text)).toThrow();
      try {
        parseOpsUsers(text);
      } catch (err) {
        expect((err as Error).message).not.toContain('hunter2');
      }
    }
  });
});

describe('verifyOpsCredentials', () => {
  it('accepts the right password of a plain and of a hashed entry, and nothing else', async () => {
    const users = parseOpsUsers(`ana:plain-pw,bo:${await hashOpsPassword('hashed-pw')}`);
    expect(await verifyOpsCredentials(users, 'ana', 'plain-pw')).toBe(true);
    expect(await verifyOpsCredentials(users, 'bo', 'hashed-pw')).toBe(true);
    for (const [name, password] of [
      ['ana', 'plain-pw '],
      ['ana', 'hashed-pw'],
      ['bo', 'plain-pw'],
      ['bo', 'hashed-pw2'],
      ['bo', ''],
      ['cy', 'plain-pw'],
      ['ANA', 'plain-pw'],
    ] as const) {
      expect(await verifyOpsCredentials(users, name, password), `${name}/${password}`).toBe(false);
    }
  });

  it("does not accept a hashed entry's hash as its password", async () => {
    const hashed = await hashOpsPassword('pw');
    const users = parseOpsUsers(`ana:${hashed}`);
    expect(await verifyOpsCredentials(users, 'ana', hashed)).toBe(false);
  });

  it('costs about the same for an unknown name, a plain entry and a hashed one', async () => {
    const users = parseOpsUsers(`ana:pw,bo:${await hashOpsPassword('pw')}`);
    const time = async (name: string) => {
      const started = performance.now();
      for (let i = 0; i < 5; i++) await verifyOpsCredentials(users, name, 'wrong');
      return performance.now() - started;
    };
    await time('bo'); // warm up
    const [unknown, plain, hashed] = [await time('nobody'), await time('ana'), await time('bo')];
    // Each does one scrypt (tens of ms); without the decoy an unknown name would take microseconds.
    for (const t of [unknown, plain]) expect(t).toBeGreaterThan(hashed / 3);
  });
});

describe('hashOpsPassword', () => {
  it('salts every hash', async () => {
    expect(await hashOpsPassword('pw')).not.toBe(await hashOpsPassword('pw'));
    expect(await hashOpsPassword('pw')).toMatch(/^scrypt\$[\w-]{22}\$[\w-]{43}$/);
  });
});
