// The built-in AUTH_SECRET and OPS_USERS are in the source: fine for a server only this
// machine can reach, a hole for one that listens beyond it (anyone who reads the source could
// mint integrator keys and ops sessions). Such a server refuses to start, naming the variable.
import { ConfigError } from './env';

interface SecretsConfig {
  host: string;
  auth: { usingDevSecret: boolean; usingDevOpsUsers: boolean };
}

/** Whether only this machine can reach `host`: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The variables still at their built-in values. */
export function builtInSecrets(config: SecretsConfig): ('AUTH_SECRET' | 'OPS_USERS')[] {
  return [...(config.auth.usingDevSecret ? (['AUTH_SECRET'] as const) : []), ...(config.auth.usingDevOpsUsers ? (['OPS_USERS'] as const) : [])];
}

const HOW = {
  AUTH_SECRET: 'set it to a random value of 16 characters or more, e.g. openssl rand -hex 32',
  OPS_USERS: 'set it to name:scrypt$… entries from npm run -s ops:hash-password -- <name>',
};

/** Throws a ConfigError naming each built-in secret when the server listens beyond loopback. */
export function assertNoBuiltInSecrets(config: SecretsConfig): void {
  if (isLoopbackHost(config.host)) return;
  const names = builtInSecrets(config);
  if (names.length === 0) return;
  const what = names.length === 1 ? 'is not set (or is the built-in development value)' : 'are not set (or are the built-in development values)';
  throw new ConfigError(names.join(' and '), `${what}, and HOST ${config.host} listens beyond this machine; ${names.map((n) => `${n}: ${HOW[n]}`).join('; ')}`);
}
