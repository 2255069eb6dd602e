// Prisma runs offline here: no native engines. The CLI and the client both talk to
// Postgres through the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The CLI reads env("DATABASE_URL") from the schema; when it cannot, it falls back to the
// native query engine and tries to download it. A default keeps every command offline.
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/lastmile';
const connectionString = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    const factory = new PrismaPg({ connectionString });
    const connect = factory.connect.bind(factory);
    // The adapter runs a migration as its pieces between semicolons, each on any connection
    // of its pool: a function body (migration 0005) breaks, and BEGIN/COMMIT may not pair.
    // One query of the whole script on one connection runs it as Postgres's own psql would.
    factory.connect = async () => {
      const adapter = await connect();
      adapter.executeScript = async (script) => {
        await adapter.underlyingDriver().query(script);
      };
      return adapter;
    };
    return factory;
  },
});
