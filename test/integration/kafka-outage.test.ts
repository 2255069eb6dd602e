// With Kafka away the ingest API (and the OsmAnd endpoint) answers 503 promptly and acknowledges nothing; once Kafka
// is back, it accepts again. Uses a broker of its own so that it can stop it.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { registerDevice } from '../../lib/devices/device-store';
import { startKafka } from '../../scripts/infra/kafka';
import { ROOT, freePort, stopPid } from '../../scripts/infra/proc';
import { createTopics } from '../../scripts/app/prepare';
import { type RunningServer, startServer } from '../../server/start-server';
import { type Harness, createHarness, tokenFor } from './harness';

let h: Harness;
let server: RunningServer;
let kafkaPid: number | undefined;
const dir = mkdtempSync(join(ROOT, '.infra', 'test-outage-'));
let port: number;
let controllerPort: number;

const ping = (n: number) => ({
  type: 'courier.location',
  version: 1,
  eventId: `evt-outage-${Date.now()}-${n}`,
  courierId: 'outage-courier',
  lat: 1,
  lng: 1,
  occurredAt: Date.now() - 1000,
});
let deviceSecret = '';
const post = (n: number) =>
  fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('courier', 'outage-courier')}` },
    body: JSON.stringify(ping(n)),
  });

beforeAll(async () => {
  [port, controllerPort] = [await freePort(), await freePort()];
  kafkaPid = await startKafka({ dir, port, controllerPort, heapMb: 256 });
  h = await createHarness('outage');
  const env = { ...h.env, KAFKA_BROKERS: `127.0.0.1:${port}` };
  await createTopics(env);
  server = await startServer(loadConfig(env), h.log);
  deviceSecret = await registerDevice({ db: h.db, redis: h.redis }, { deviceId: 'outage-phone', courierId: 'outage-courier', sourceId: 'default' });
}, 120_000);

afterAll(async () => {
  await server?.close().catch(() => undefined);
  if (kafkaPid) await stopPid(kafkaPid);
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Kafka away', () => {
  it('answers 503 within seconds, then 202 again once Kafka is back', async () => {
    expect((await post(1)).status).toBe(202);

    await stopPid(kafkaPid!);
    const started = Date.now();
    const res = await post(2);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    expect(Date.now() - started).toBeLessThan(15_000);
    // a tracker app's position: 503 too, so that its own buffer sends it again
    const osmand = await fetch(`${server.url}/osmand/${deviceSecret}?id=outage-phone&lat=1&lon=1&timestamp=${Math.floor(Date.now() / 1000)}`, { method: 'POST' });
    expect(osmand.status).toBe(503);

    kafkaPid = await startKafka({ dir, port, controllerPort, heapMb: 256 });
    let status = 0;
    for (let i = 0; i < 30 && status !== 202; i++) {
      status = (await post(3 + i)).status;
      if (status !== 202) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).toBe(202);
  });
});
