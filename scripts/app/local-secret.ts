// npm start's AUTH_SECRET when none is configured: random, made once and kept with the local
// data in .infra/dev/auth-secret (mode 0600), so tokens minted by `npm run token` keep working
// across restarts and nobody's local server signs with a secret that is in the source.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../infra/proc';

export const LOCAL_SECRET_FILE = join(ROOT, '.infra/dev/auth-secret');

/** The kept secret, or undefined when npm start never made one. */
export function readLocalSecret(path = LOCAL_SECRET_FILE): string | undefined {
  if (!existsSync(path)) return undefined;
  const secret = readFileSync(path, 'utf8').trim();
  return secret.length >= 16 ? secret : undefined;
}

/** The kept secret, made on the first call. */
export function ensureLocalSecret(path = LOCAL_SECRET_FILE): string {
  const kept = readLocalSecret(path);
  if (kept) {
    chmodSync(path, 0o600);
    return kept;
  }
  mkdirSync(join(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    if (existsSync(path)) unlinkSync(path); // unreadable or too short: replaced
    linkSync(partial, path); // a concurrent first start that linked first wins
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(partial);
  }
  return readLocalSecret(path)!;
}
