// @ts-check
// No headers() here: the security headers, with a fresh CSP nonce per page, are set for every
// answer by server/create-server.ts (lib/http/security-headers.ts), which Next's pages and
// files pass through too; headers() is fixed at build time and cannot carry a nonce.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only clients stay plain Node modules instead of being bundled.
  serverExternalPackages: ['ioredis', 'kafkajs', 'pino', 'pg', '@prisma/client', '@prisma/adapter-pg'],
};

export default nextConfig;
