// One Prisma client per process for Next route handlers, created on first use.
import { sharedConfig } from '../config';
import { type Db, createDb } from './client';

let shared: Db | undefined;

export function sharedDb(): Db {
  shared ??= createDb(sharedConfig().databaseUrl);
  return shared;
}
