// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only clients stay plain Node modules instead of being bundled.
  serverExternalPackages: ['ioredis', 'kafkajs', 'pino', 'pg', '@prisma/client', '@prisma/adapter-pg'],
};

export default nextConfig;
