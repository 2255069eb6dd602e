// Random shapes sent to every socket event, against a server started without Next (its own
// process, no process-wide error handlers): each one with an ack is answered, none throws out
// of a handler, and the process stays up and keeps serving well-formed requests.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService, stopServices, waitReady } from '../../scripts/app/services';
import { freePort } from '../../scripts/infra/proc';
import { profileDir } from '../../scripts/infra/stack';
import { type Harness, type TestSocket, closeSockets, connectSocket, createHarness, opsCookie, tokenFor } from './harness';

let h: Harness;
let server: Service;
let base: string;

beforeAll(async () => {
  h = await createHarness('sockfuzz');
  const port = await freePort();
  const log = openSync(join(profileDir(h.env.profile!), `socket-fuzz-server-${port}.log`), 'a');
  server = startService('bare server', 'test/integration/fixtures/bare-server.ts', [], { ...h.env, PORT: String(port) }, log);
  closeSync(log);
  base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`, server, 60_000);
}, 120_000);

afterAll(async () => {
  closeSockets();
  if (server) await stopServices([server]);
  await h?.close();
});

const EVENTS = ['ops:join', 'stats:join', 'order:join'] as const;

// What a client can put in a message: JSON values, binary, and the shapes the handlers read
const value = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: false }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.record(
    {
      orderId: fc.oneof(fc.string(), fc.constant('o-1'), fc.integer(), fc.constant(null), fc.object()),
      token: fc.oneof(fc.string(), fc.constant(tokenFor('order', 'o-1')), fc.constant(tokenFor('integrator', 'shop')), fc.integer()),
      lastSeq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(-1), fc.constant(Number.MAX_SAFE_INTEGER)),
    },
    { requiredKeys: [] },
  ),
);
const message = fc.record({
  event: fc.oneof(fc.constantFrom(...EVENTS), fc.string({ maxLength: 20 })),
  args: fc.array(value, { maxLength: 3 }),
  withAck: fc.boolean(),
});

describe('socket events with random shapes', () => {
  let sockets: TestSocket[];
  beforeAll(async () => {
    sockets = [await connectSocket(base), await connectSocket(base, opsCookie(h.config))];
  });

  it('are each answered or ignored, never crash the process, and the server keeps serving', async () => {
    const answers = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(message, fc.boolean(), async ({ event, args, withAck }, signedIn) => {
        const socket = sockets[signedIn ? 1 : 0]!;
        if (!withAck || !(EVENTS as readonly string[]).includes(event)) {
          // no ack to wait for, or an event nobody handles: sent and forgotten
          (socket.emit as (event: string, ...args: unknown[]) => void)(event, ...args);
          return;
        }
        const answer = (await (socket.timeout(5000).emitWithAck as (event: string, ...args: unknown[]) => Promise<unknown>)(event, ...args)) as { ok: boolean };
        expect(typeof answer.ok, JSON.stringify(answer)).toBe('boolean');
        answers.set(`${event} ${answer.ok}`, (answers.get(`${event} ${answer.ok}`) ?? 0) + 1);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 60_000 },
    );
    // the property reached the handlers' own checks, both ways
    expect([...answers.keys()].some((k) => k.endsWith('false'))).toBe(true);
    expect([...answers.keys()].some((k) => k.endsWith('true'))).toBe(true);

    // every shape at once, each with a non-function where the ack goes (the old crash)
    for (const socket of sockets) for (const event of EVENTS) for (const last of ['x', 1, null, {}, [], true]) (socket.emit as (e: string, ...a: unknown[]) => void)(event, last);
    for (const socket of sockets) (socket.emit as (e: string, ...a: unknown[]) => void)('order:join', 'x', 'y');

    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await sockets[1]!.timeout(5000).emitWithAck('ops:join')).toEqual({ ok: true });
    expect(await sockets[0]!.timeout(5000).emitWithAck('ops:join')).toMatchObject({ ok: false });
    // and a fresh client still connects
    expect((await connectSocket(base)).connected).toBe(true);
  }, 120_000);
});
