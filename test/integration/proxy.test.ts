// nginx (scripts/infra/nginx.ts) in front of two servers: requests spread over both; a
// socket.io session's requests stay on the server that took its first one, and move with
// their cookie when that server goes; an ingest request in flight when its server dies is
// sent on to the other (its events carry ids). Real nginx, two plain HTTP servers behind it
// that answer which one they are.
import { type Server, createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nginx, STICKY_COOKIE, startNginx } from '../../scripts/infra/nginx';
import { freePort } from '../../scripts/infra/proc';

const dir = mkdtempSync(join(tmpdir(), 'lastmile-proxy-'));
const backends: { name: string; port: number; server?: Server; dropNextIngest?: boolean }[] = [
  { name: 'a', port: 0 },
  { name: 'b', port: 0 },
];
let nginx: Nginx;
/** Clients at once, each holding a connection to nginx and nginx one to a server. */
const CLIENTS = 3000;
const held: (() => void)[] = [];

function listen(backend: (typeof backends)[number]): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url === '/hold') {
      // answered once `CLIENTS` requests are open at once (through the proxy: twice the connections)
      held.push(() => res.end(backend.name));
      if (held.length >= CLIENTS) for (const answer of held.splice(0)) answer();
      return;
    }
    if (req.url === '/api/events' && backend.dropNextIngest) {
      backend.dropNextIngest = false;
      req.socket.destroy(); // dies mid-request, as a SIGKILLed server does
      return;
    }
    req.resume();
    req.on('end', () => res.end(backend.name));
  });
  backend.server = server;
  return new Promise((resolve) => server.listen(backend.port, '127.0.0.1', resolve));
}

beforeAll(async () => {
  for (const b of backends) {
    b.port = await freePort();
    await listen(b);
  }
  nginx = await startNginx({ dir, port: await freePort(), backends: backends.map((b) => b.port) });
});

afterAll(async () => {
  await nginx?.stop();
  for (const b of backends) b.server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, cookie?: string) => {
  const res = await fetch(`${nginx.url}${path}`, { headers: cookie ? { cookie } : {} });
  return { body: await res.text(), status: res.status, cookie: res.headers.get('set-cookie') };
};

describe('the proxy', () => {
  it('spreads requests over the servers', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await get('/healthz')).body);
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it("keeps a socket.io session on the server its cookie names, and moves it when that server goes", async () => {
    const first = await get('/socket.io/?EIO=4&transport=polling');
    expect(first.cookie).toMatch(new RegExp(`^${STICKY_COOKIE}=\\d; Path=/socket.io/`));
    const cookie = first.cookie!.split(';')[0]!;
    for (let i = 0; i < 8; i++) expect((await get('/socket.io/?EIO=4&transport=polling&sid=x', cookie)).body).toBe(first.body);

    const holder = backends.find((b) => b.name === first.body)!;
    await new Promise((resolve) => holder.server!.close(resolve));
    try {
      const moved = await get('/socket.io/?EIO=4&transport=polling&sid=x', cookie);
      expect(moved.status).toBe(200);
      expect(moved.body).not.toBe(first.body);
      expect(moved.cookie?.split(';')[0]).not.toBe(cookie); // the cookie follows the session
    } finally {
      await listen(holder);
    }
  });

  // the soak's 2,000 apps each holding a request exhausted nginx's 4,096 connections (its
  // default here), and requests failed: it now has room for 8,000 clients
  it(`holds ${CLIENTS} clients' requests at once`, async () => {
    const answers = await Promise.all(Array.from({ length: CLIENTS }, () => fetch(`${nginx.url}/hold`).then((r) => r.status, () => 0)));
    expect(answers.filter((status) => status !== 200)).toEqual([]);
  }, 60_000);

  it('sends an ingest request on when its server dies during it', async () => {
    const one = backends[0]!;
    one.dropNextIngest = true;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await fetch(`${nginx.url}/api/events`, { method: 'POST', body: '{}' })).status);
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(one.dropNextIngest).toBe(false); // one of them reached it, and was answered by the other
  });
});
