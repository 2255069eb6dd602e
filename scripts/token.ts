// `npm run token -- <courier|order|integrator> <id> [hours]`: mints a signed token with the
// configured AUTH_SECRET. Couriers' apps send theirs as `Authorization: Bearer <token>`;
// an order's share token goes in the tracking link (?t=); integrators use theirs as an API key.
import { type Subject, issueToken } from '../lib/auth/tokens';
import { loadConfigOrExit } from '../lib/config';
import { LOCAL_SECRET_FILE, readLocalSecret } from './app/local-secret';

const [kind, id, hours] = process.argv.slice(2);
// no AUTH_SECRET here: the one npm start made for this machine, when it made one
const localSecret = process.env.AUTH_SECRET ? undefined : readLocalSecret();
if (localSecret) process.env.AUTH_SECRET = localSecret;
const config = loadConfigOrExit('token');
if (!kind || !['courier', 'order', 'integrator'].includes(kind) || !id || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
  console.error('usage: npm run token -- <courier|order|integrator> <id> [hours]');
  process.exit(2);
}
const defaultMs = kind === 'order' ? config.auth.orderTokenTtlMs : config.auth.courierTokenTtlMs;
const ttlMs = hours ? Number(hours) * 3_600_000 : defaultMs;
if (!(ttlMs > 0)) {
  console.error(`hours must be a positive number, got "${hours}"`);
  process.exit(2);
}
if (localSecret) console.error(`note: AUTH_SECRET is not set; signing with npm start's secret (${LOCAL_SECRET_FILE})`);
else if (config.auth.usingDevSecret) console.error('note: AUTH_SECRET is not set; signing with the built-in development secret');
console.log(issueToken({ kind, id } as Subject, ttlMs, config.auth.secret));
