import net from 'node:net';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchBuffers } from './fetch-buffers';

/** A size-prefixed response, as a broker frames it: `size` payload bytes of `fill`. */
function frame(size: number, fill: number): Buffer {
  const b = Buffer.alloc(4 + size, fill);
  b.writeInt32BE(size, 0);
  return b;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A server, and a client socket of `buffers`' factory connected to it, collecting what it hands on. */
async function pair(buffers: ReturnType<typeof fetchBuffers>) {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const received: Buffer[] = [];
  let arrived: () => void = () => undefined;
  let connectedNow!: () => void;
  const connectedOnce = new Promise<void>((resolve) => (connectedNow = resolve));
  const socket = buffers.socketFactory({ host: '127.0.0.1', port, ssl: null as never, onConnect: () => connectedNow() }) as net.Socket;
  socket.on('data', (data: Buffer) => {
    received.push(data);
    arrived();
  });
  closers.push(() => socket.destroy());
  const peer = await accepted;
  await connectedOnce;
  closers.push(() => {
    peer.destroy();
    server.close();
  });
  /** Waits until `n` responses have been handed on in all. */
  const until = async (n: number) => {
    while (received.length < n) await new Promise<void>((resolve) => (arrived = resolve));
  };
  return { peer, socket, received, until };
}

const valueIn = (response: Buffer, headers: KafkaMessage['headers'] = {}) =>
  ({ key: null, value: response.subarray(10, 20), headers, offset: '0', timestamp: '0', attributes: 0 }) as KafkaMessage;

describe('fetchBuffers', () => {
  it('hands on each response whole, however its bytes arrive', async () => {
    const buffers = fetchBuffers({ pooledFrom: 1024 });
    const { peer, received, until } = await pair(buffers);
    const frames = [frame(10, 1), frame(0, 2), frame(3000, 3), frame(70_000, 4), frame(5, 5), frame(200_000, 6), frame(1, 7)];
    const bytes = Buffer.concat(frames);
    // byte by byte through the first two size prefixes, then pieces of every size
    let at = 0;
    for (const size of [1, 1, 1, 1, 1, 1, 1, 5, 3, 2, 1000, 4000, 65_536, 7, 100_000]) {
      peer.write(bytes.subarray(at, at + size));
      at += size;
      await new Promise((r) => setTimeout(r, 2));
    }
    peer.write(bytes.subarray(at));
    await until(frames.length);
    expect(received.map((r) => r.length)).toEqual(frames.map((f) => f.length));
    for (let i = 0; i < frames.length; i++) expect(received[i]!.equals(frames[i]!)).toBe(true);
    // many responses in one write
    const many = Array.from({ length: 50 }, (_, i) => frame(i * 7, i));
    peer.write(Buffer.concat(many));
    await until(frames.length + many.length);
    expect(received.slice(frames.length).every((r, i) => r.equals(many[i]!))).toBe(true);
    // the large ones went into the pool's buffers, the small ones into their own
    expect(buffers.counts().allocated).toBe(3);
  });

  it('reuses a buffer once its next response has begun and every batch that held it has let go', async () => {
    const buffers = fetchBuffers({ pooledFrom: 1024 });
    const { peer, received, until } = await pair(buffers);
    peer.write(frame(4000, 1));
    await until(1);
    const a = received[0]!;
    // two batches of response a
    const dropFirst = buffers.hold([valueIn(a)])!;
    const dropSecond = buffers.hold([valueIn(a), valueIn(a)])!;
    expect(dropFirst).toBeTypeOf('function');
    dropFirst();
    dropFirst(); // a second call changes nothing
    // the next response seals a, but the second batch still holds it
    peer.write(frame(4000, 2));
    await until(2);
    expect(received[1]!.buffer).not.toBe(a.buffer);
    expect(buffers.counts()).toMatchObject({ free: 0 });
    dropSecond();
    expect(buffers.counts()).toMatchObject({ free: 1 });
    // response b was never held (as a metadata answer would not be): it is not reused
    peer.write(frame(4000, 3));
    await until(3);
    expect(received[2]!.buffer).toBe(a.buffer);
    expect(received[2]!.equals(frame(4000, 3))).toBe(true);
    peer.write(frame(4000, 4));
    await until(4);
    expect(received[3]!.buffer).not.toBe(received[1]!.buffer);
    expect(buffers.counts()).toMatchObject({ allocated: 3, reused: 1 });
  });

  it('does not hold what lies outside its buffers, and holds headers too', async () => {
    const buffers = fetchBuffers({ pooledFrom: 1024 });
    expect(buffers.hold([valueIn(Buffer.alloc(100))])).toBeNull();
    const { peer, received, until } = await pair(buffers);
    peer.write(frame(4000, 1));
    await until(1);
    const a = received[0]!;
    // only a header lies in a
    const drop = buffers.hold([valueIn(Buffer.alloc(100), { trace: [Buffer.alloc(1), a.subarray(30, 31)] })])!;
    peer.write(frame(4000, 2));
    await until(2);
    expect(buffers.counts()).toMatchObject({ free: 0 });
    drop();
    expect(buffers.counts()).toMatchObject({ free: 1 });
  });

  it("fails the connection on a size prefix that is not Kafka's", async () => {
    // negative, and a TLS listener's alert record read as a size (~352 MB)
    for (const [prefix, shown] of [[-5, 'size -5'], [0x15030300, `size ${0x15030300}`]] as const) {
      const buffers = fetchBuffers();
      const { peer, socket } = await pair(buffers);
      const failed = new Promise<Error>((resolve) => socket.once('error', resolve));
      const bad = Buffer.alloc(8);
      bad.writeInt32BE(prefix, 0);
      peer.write(bad);
      expect((await failed).message).toContain(shown);
    }
  });

  it('never reuses the last response of a connection that closed, held or not', async () => {
    const buffers = fetchBuffers({ pooledFrom: 1024 });
    const first = await pair(buffers);
    first.peer.write(frame(4000, 1));
    await first.until(1);
    const a = first.received[0]!;
    // a batch of a is held; others of a may still be queued for eachBatch when the connection goes
    const drop = buffers.hold([valueIn(a)])!;
    const closed = new Promise((resolve) => first.socket.once('close', resolve));
    first.peer.destroy();
    await closed;
    drop();
    expect(buffers.hold([valueIn(a)])).toBeNull();
    expect(buffers.counts()).toMatchObject({ free: 0 });
    const second = await pair(buffers);
    second.peer.write(frame(4000, 2));
    await second.until(1);
    expect(second.received[0]!.buffer).not.toBe(a.buffer);
    expect(buffers.counts()).toMatchObject({ allocated: 2, reused: 0 });
  });

  it('has kafkajs decode responses where they lie (the kafkajs this was written for is installed)', () => {
    expect(fetchBuffers().inPlace).toBe(true);
  });
});
