// The security headers of every answer, defined once: pages, Next's API routes and static
// files, and the bare node:http routes (server/create-server.ts sets them before routing).
//
// Pages get a CSP with a fresh nonce and 'strict-dynamic': Next 16 reads the nonce from the
// request's Content-Security-Policy header and puts it on every script it inlines, and the
// chunks those scripts load are trusted through them. So no 'unsafe-inline' for scripts, and
// an injected <script> does not run. Every page here is rendered per request (each reads the
// session or its params), which nonces need. Styles keep 'unsafe-inline': React writes
// style="" attributes into the server HTML, and attributes cannot carry a nonce.
import { randomBytes } from 'node:crypto';

export interface SecurityHeaderOptions {
  /** PUBLIC_URL is https: add Strict-Transport-Security and upgrade subresource requests. */
  https: boolean;
  /** The tile server's origin for img-src (from NEXT_PUBLIC_TILE_URL), if any. */
  tileSource?: string;
  /** Next's dev mode: React needs eval for its error overlays. */
  dev: boolean;
}

/** What kind of answer a response is: a page (HTML, scripts run) or anything else. */
export type AnswerKind = { page: true; nonce: string; host?: string } | { page: false };

const HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** Only paths that can answer HTML get the page CSP; API routes and Next's files get the strict one. */
export function isPagePath(path: string): boolean {
  return !path.startsWith('/api/') && !path.startsWith('/_next/') && path !== '/healthz' && path !== '/readyz' && path !== '/metrics';
}

export const newNonce = () => randomBytes(16).toString('base64');

/**
 * img-src for a Leaflet tile URL template: its scheme and host, with `{s}` (Leaflet's
 * subdomains) as a wildcard; undefined for a relative URL ('self' covers it) or a garbled one.
 */
export function tileSource(template: string | undefined): string | undefined {
  const match = /^(https?):\/\/([^/?#]+)/i.exec(template?.trim() ?? '');
  if (!match) return undefined;
  const host = match[2]!.replace(/\{[a-z]+\}/gi, '*').toLowerCase();
  if (!/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/.test(host)) return undefined;
  return `${match[1]!.toLowerCase()}://${host}`;
}

function pagePolicy(nonce: string, host: string | undefined, options: SecurityHeaderOptions): string {
  // socket.io: 'self' covers same-origin ws: in CSP 3 browsers; the exact ws origins cover older ones
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${options.tileSource ? ` ${options.tileSource}` : ''}`,
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** JSON, metrics and static files run nothing: nothing may load, nothing may frame them. */
const STRICT_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(kind: AnswerKind, options: SecurityHeaderOptions): Record<string, string> {
  return {
    'content-security-policy': kind.page ? pagePolicy(kind.nonce, kind.host, options) : STRICT_POLICY,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // share tokens travel in URLs (?t=…): no Referer may carry them to a tile server or a link
    'referrer-policy': 'no-referrer',
    // a year, without includeSubDomains: other hosts of the domain are not ours to pin
    ...(options.https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
