import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseOpsUsers, verifyOpsCredentials } from '../lib/auth/ops-credentials';

const hash = (args: string[], input: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ops-hash-password.ts', ...args], { input, encoding: 'utf8', timeout: 30_000 });

describe('npm run ops:hash-password', () => {
  it('prints an OPS_USERS entry that accepts the piped password, without its newline', async () => {
    const result = hash(['ana'], 'a long, odd pass: phrase\n');
    expect(result.status).toBe(0);
    const users = parseOpsUsers(result.stdout.trim());
    expect(await verifyOpsCredentials(users, 'ana', 'a long, odd pass: phrase')).toBe(true);
    expect(result.stdout).not.toContain('phrase');
  });

  it.each([
    [[], 'pw', /usage/],
    [['an a'], 'pw', /the name "an a"/],
    [['ana'], '\n', /the password is empty/],
  ])('refuses %j with %j', (args, input, message) => {
    const result = hash(args, input);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});
