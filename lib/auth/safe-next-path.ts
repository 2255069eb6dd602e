// Where to send someone after signing in: a path on this site, never another origin, so a
// crafted /login?next=… link cannot bounce a freshly signed-in user to a look-alike site.

const BASE = 'http://lastmile.invalid';

/**
 * True when a browser resolving `path` against this site stays on it: `/`-rooted, not
 * `//host` or `/\host` (other origins to a browser), no backslash or control character.
 */
export function isSameSitePath(path: string): boolean {
  if (!path.startsWith('/') || /^\/[/\\]|[\\\p{Cc}]/u.test(path)) return false;
  try {
    return new URL(path, BASE).origin === BASE;
  } catch {
    // URL refuses what no browser would resolve to this site either
    return false;
  }
}

function decodedPath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    // malformed escapes: the server answers such a path 400, so it is no page to land on
    return undefined;
  }
}

export function safeNextPath(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || !isSameSitePath(next)) return fallback;
  const url = new URL(next, BASE);
  // Normalising can make a new `//`: `/.//evil.example` and `/%2e%2e//x` both become `//…`,
  // so the answer is tested again, not only the input.
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (!isSameSitePath(path)) return fallback;
  // An API answer or the login form again is no page to land on (as Next would route it).
  const routed = decodedPath(url.pathname)?.toLowerCase();
  if (routed === undefined || routed.startsWith('/api/') || routed === '/login') return fallback;
  return path;
}
