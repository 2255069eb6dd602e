// The infra script is idempotent and explains a taken port.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InfraError } from '../../scripts/infra/proc';
import { readState, upInfra } from '../../scripts/infra/stack';

let blocker: Server | undefined;
afterAll(() => blocker?.close());

describe('infra', () => {
  it('running up twice starts nothing the second time', async () => {
    const { profile, ...env } = inject('infra');
    const before = readState(profile)!;
    const again = await upInfra(profile, { mode: 'test', log: () => undefined });
    expect(again.startedNow).toEqual([]);
    expect(again.env).toEqual(env);
    expect(readState(profile)!.started).toEqual(before.started);
  });

  it('says which port is taken instead of starting a second Kafka on it', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const attempt = upInfra(`test-${process.pid}-busyport`, {
      mode: 'dev',
      env: { KAFKA_BROKERS: `127.0.0.1:${port}` },
      log: () => undefined,
    });
    await expect(attempt).rejects.toThrow(InfraError);
    await expect(attempt).rejects.toThrow(`Kafka: port ${port} is already in use by something else`);
  });
});
