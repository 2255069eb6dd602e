// Readers for environment variables: each one names the variable it failed on.

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `expected a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `expected ${min}..${max}, got ${n}`);
  return n;
}

export function readUrl(env: Env, name: string, fallback: string, protocols: string[]): string {
  const value = raw(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `expected a URL, got "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
  }
  return value;
}

export function readEnum<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const value = raw(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

export function readHostPorts(env: Env, name: string, fallback: string): string[] {
  const list = (raw(env, name) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    if (!/^[\w.-]+:\d{1,5}$/.test(entry)) throw new ConfigError(name, `expected host:port[,host:port], got "${entry}"`);
  }
  if (list.length === 0) throw new ConfigError(name, 'expected at least one host:port');
  return list;
}

export function readSecret(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  if (value.length < 16) throw new ConfigError(name, 'expected at least 16 characters');
  return value;
}

/** A value with a grammar of its own: `parse` throws an Error saying what is wrong with it. */
export function readParsed<T>(env: Env, name: string, fallback: string, parse: (value: string) => T): T {
  const value = raw(env, name) ?? fallback;
  try {
    return parse(value);
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
}
