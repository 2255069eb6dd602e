// Prisma through the pg driver adapter: no native engine, as in prisma.config.ts.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 5): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}
