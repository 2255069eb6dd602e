import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureLocalSecret, readLocalSecret } from './local-secret';

describe("npm start's local secret", () => {
  it('is made once, random, readable by its owner only, and kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const path = join(dir, 'dev', 'auth-secret');
    expect(readLocalSecret(path)).toBeUndefined();
    const secret = ensureLocalSecret(path);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ensureLocalSecret(path)).toBe(secret);
    expect(readLocalSecret(path)).toBe(secret);
    expect(ensureLocalSecret(join(dir, 'other'))).not.toBe(secret);
  });

  it('replaces a kept file too short to be a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const path = join(dir, 'auth-secret');
    writeFileSync(path, 'short\n');
    const secret = ensureLocalSecret(path);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(path, 'utf8').trim()).toBe(secret);
  });
});
