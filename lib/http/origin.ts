// Which origins may act with this site's cookies: the configured public URL, and the address
// the server listens on (with localhost and 127.0.0.1 as one when it listens on loopback or
// every interface). Browsers send Origin on every cross-origin request and on every POST, so
// a request with no Origin is not a browser acting for another site.

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::1', '::']);

export function allowedOrigins(options: { publicUrl: string; host: string; port: number }): Set<string> {
  const origins = new Set<string>();
  if (options.publicUrl) origins.add(new URL(options.publicUrl).origin);
  const hosts = LOOPBACK.has(options.host) ? ['127.0.0.1', 'localhost', '[::1]'] : [options.host];
  for (const host of hosts) origins.add(`http://${host}:${options.port}`);
  return origins;
}

/** True when `origin` (an Origin header, or undefined when absent) may act on this site. */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  return allowed.has(origin.toLowerCase());
}

/**
 * The allowed origins plus the request's own, as its Host header names it: behind a free port
 * (PORT=0) or a proxy, config does not know the address the browser used. A cross-site form
 * still carries the other site's Origin, which matches neither.
 */
export function withRequestOrigin(allowed: ReadonlySet<string>, hostHeader: string | null | undefined): Set<string> {
  const origins = new Set(allowed);
  const host = hostHeader?.trim().toLowerCase();
  if (host && /^[a-z0-9.:[\]-]+$/.test(host)) for (const scheme of ['http', 'https']) origins.add(`${scheme}://${host}`);
  return origins;
}

/** Sec-Fetch-Site values a browser sends when another site, or a sibling subdomain, made the request. */
const OTHER_SITES = new Set(['cross-site', 'same-site']);

/**
 * Why a state-changing request must be refused as made by another site, or undefined when it
 * may proceed: a Sec-Fetch-Site of cross-site or same-site, or an Origin that is not ours.
 * `Origin: null` is what a browser sends for our own form under Referrer-Policy: no-referrer
 * (and for a sandboxed frame anywhere), so it passes only with Sec-Fetch-Site: same-origin.
 * Requests with neither header (curl, scripts) are not a browser acting for another site.
 */
export function crossSiteRefusal(headers: { get(name: string): string | null }, allowed: ReadonlySet<string>): string | undefined {
  const refused = (who: string) => `${who} are refused: this form only works on this site`;
  const site = headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (site && OTHER_SITES.has(site)) return refused(`${site} requests`);
  const origin = headers.get('origin');
  if (origin === null) return undefined;
  if (origin === 'null') return site === 'same-origin' ? undefined : refused('requests from an opaque origin (Origin: null) without Sec-Fetch-Site: same-origin');
  return originAllowed(origin, allowed) ? undefined : refused(`requests from ${origin.slice(0, 100) || 'an empty origin'}`);
}
