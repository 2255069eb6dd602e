// Where to send someone after signing in: a path on this site, never another origin, so a
// crafted /login?next=… link cannot bounce a freshly signed-in user to a look-alike site.

const BASE = 'http://lastmile.invalid';

export function safeNextPath(next: unknown, fallback = '/'): string {
  // `//host` and `/\host` are other origins to a browser; control characters hide either.
  if (typeof next !== 'string' || !next.startsWith('/') || /^\/[/\\]|[\\\p{Cc}]/u.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  // An API answer or the login form again is no page to land on.
  if (url.pathname.startsWith('/api/') || url.pathname === '/login') return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
