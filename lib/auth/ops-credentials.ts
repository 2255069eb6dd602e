// Ops users and their passwords, from OPS_USERS: comma-separated `name:password` or
// `name:scrypt$<salt>$<hash>` (base64url, from `npm run ops:hash-password`).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export type OpsPassword = { kind: 'plain'; digest: Buffer } | { kind: 'scrypt'; salt: Buffer; hash: Buffer };
export type OpsUsers = ReadonlyMap<string, OpsPassword>;

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const HASHED = /^scrypt\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
// Node's defaults, spelled out: a stored hash must keep verifying when Node's defaults change.
const SCRYPT = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const isOpsUserName = (name: string) => NAME.test(name);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The hashed form of a password for OPS_USERS: `scrypt$<salt>$<hash>`. */
export async function hashOpsPassword(password: string, salt = randomBytes(SALT_BYTES)): Promise<string> {
  return `scrypt$${salt.toString('base64url')}$${(await derive(password, salt)).toString('base64url')}`;
}

/** Parses OPS_USERS. Errors name the entry but never repeat a password. */
export function parseOpsUsers(text: string): OpsUsers {
  const users = new Map<string, OpsPassword>();
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    // Without a colon the entry may be a bare password: say where it is, not what it is.
    if (colon === -1) throw new Error(`entry ${i + 1}: expected name:password`);
    const name = entry.slice(0, colon);
    const password = entry.slice(colon + 1);
    if (!isOpsUserName(name)) throw new Error(`entry ${i + 1}: the name "${name}" may use only letters, digits and _ . @ - (1 to 64)`);
    if (password === '') throw new Error(`${name}: the password is empty`);
    if (users.has(name)) throw new Error(`${name} is listed twice`);
    users.set(name, parsePassword(name, password));
  });
  if (users.size === 0) throw new Error('expected at least one name:password');
  return users;
}

function parsePassword(name: string, password: string): OpsPassword {
  if (!password.startsWith('scrypt$')) return { kind: 'plain', digest: sha256(password) };
  const [, salt, hash] = HASHED.exec(password) ?? [];
  const saltBytes = Buffer.from(salt ?? '', 'base64url');
  const hashBytes = Buffer.from(hash ?? '', 'base64url');
  if (saltBytes.length < SALT_BYTES || hashBytes.length !== KEY_BYTES) {
    throw new Error(`${name}: expected scrypt$<salt>$<hash> as printed by npm run ops:hash-password`);
  }
  return { kind: 'scrypt', salt: saltBytes, hash: hashBytes };
}

// Stands in for a missing entry of either kind, so an unknown name costs what a known one does.
const DECOY = { salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES), digest: randomBytes(32) };

/**
 * Whether `password` is `name`'s. Every call does the same work, one scrypt and one digest
 * compared in constant time, whatever the entry's kind and whether the name exists, so the
 * answer's timing tells nothing about either.
 */
export async function verifyOpsCredentials(users: OpsUsers, name: string, password: string): Promise<boolean> {
  const entry = users.get(name);
  const hashed = entry?.kind === 'scrypt' ? entry : DECOY;
  const hashMatches = timingSafeEqual(await derive(password, hashed.salt), hashed.hash);
  const digestMatches = timingSafeEqual(sha256(password), entry?.kind === 'plain' ? entry.digest : DECOY.digest);
  if (entry?.kind === 'scrypt') return hashMatches;
  return entry?.kind === 'plain' && digestMatches;
}
