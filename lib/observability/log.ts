import pino, { type Logger } from 'pino';

export type Log = Logger;

/** Structured JSON logs on stdout, one line per record. */
export function createLog(name: string, level: string): Log {
  return pino({ name, level, base: { service: name, pid: process.pid } });
}
