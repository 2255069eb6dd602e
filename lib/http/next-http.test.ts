import { describe, expect, it } from 'vitest';
import { readLimitedBody } from './next-http';

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://x/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit & { duplex: 'half' });

/** A body of `chunks` chunks of 1 KB, one a millisecond, counting how many were pulled and whether it was cancelled. */
function streamed(chunks: number) {
  const pulled = { count: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pulled.count === chunks) return controller.close();
      pulled.count++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      controller.enqueue(new Uint8Array(1024));
    },
    cancel() {
      pulled.cancelled = true;
    },
  });
  return { stream, pulled };
}

describe('readLimitedBody', () => {
  it('reads a body within the cap', async () => {
    expect(new TextDecoder().decode(await readLimitedBody(post('name=ana'), 100))).toBe('name=ana');
  });

  it('refuses on Content-Length alone, before reading', async () => {
    const { stream, pulled } = streamed(10);
    await expect(readLimitedBody(post(stream, { 'content-length': '10240' }), 4096)).rejects.toMatchObject({ status: 413, message: 'the body may be at most 4096 bytes' });
    expect(pulled.count).toBeLessThanOrEqual(1);
  });

  it('refuses a stream without Content-Length past the cap once the client stops sending, keeping none of it', async () => {
    const { stream, pulled } = streamed(50);
    await expect(readLimitedBody(post(stream), 4096, { ms: 2000, bytes: 1 << 20 })).rejects.toMatchObject({ status: 413 });
    expect(pulled).toEqual({ count: 50, cancelled: false });
  });

  it('cuts off a stream that goes on past the time or the bytes it may linger for', async () => {
    const endless = streamed(1_000_000);
    await expect(readLimitedBody(post(endless.stream), 4096, { ms: 100, bytes: 1 << 30 })).rejects.toMatchObject({ status: 413 });
    expect(endless.pulled.cancelled).toBe(true);
    expect(endless.pulled.count).toBeLessThan(1000);
    const large = streamed(1_000_000);
    await expect(readLimitedBody(post(large.stream), 4096, { ms: 60_000, bytes: 20 * 1024 })).rejects.toMatchObject({ status: 413 });
    expect(large.pulled.cancelled).toBe(true);
    expect(large.pulled.count).toBeLessThan(40);
  });
});
