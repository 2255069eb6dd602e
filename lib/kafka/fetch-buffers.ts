// Fetch responses read straight into reused buffers and decoded where they lie, for a consumer
// whose batches say when they are done with their bytes (the activity worker's).
//
// kafkajs reads a connection in 64 KiB chunks and, once a response is whole, copies them into
// one new buffer (Buffer.concat). For a 16 MiB fetch that is a fresh allocation whose pages the
// kernel maps and zeroes on first touch, then a copy of every byte: 18% of the activity
// worker's main thread, which keeps two or three responses alive while their batches wait in
// the lanes (the raw consumer's, holding one: 8%).
//
// Here the socket reads each response into its final place (node's `onread`, with the buffer
// for each read chosen as it comes) and hands it to kafkajs whole, as one chunk; kafkajs then
// decodes it in place (see decodeInPlace below). A response of `pooledFrom` bytes or more goes
// into a buffer from a pool, and returns to the pool only once all three hold:
// - some batch held it (a response no batch held, a metadata answer say, is left to the
//   garbage collector);
// - every batch that held it dropped it (a batch drops it once applied; a failed batch, fetched
//   again, or one dropped by a rebalance never does, and leaves it to the garbage collector
//   too: what the pool knows of a buffer out is weakly held);
// - it is sealed: its connection's next response has begun to arrive. kafkajs sends Fetch
//   requests on a connection of their own, one at a time, and its fetcher sends the next only
//   once every batch of the last response has been through eachBatch ("waits for workerQueue
//   to drain and repeats", kafkajs/src/consumer/fetcher.js), so by then every batch that will
//   hold the response has. A connection that closes instead proves no such thing (batches of
//   its last response may still be queued for eachBatch): that response is never reused.
// So a buffer is reused only when nothing can still read it.
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory, KafkaMessage } from 'kafkajs';
import { markUndecoded } from './record-batches';

/** Responses from this size on are read into pooled buffers; smaller ones into their own. */
export const POOLED_FROM = 256 * 1024;
/** A larger size prefix is not Kafka's (a TLS listener's alert reads as ~352 MB, say). */
const MAX_RESPONSE = 128 * 1024 * 1024;
/** Bytes read at once while no response's size is known yet. */
const SCRATCH = 64 * 1024;
const MiB = 1024 * 1024;
const KEEP_ALIVE_MS = 60_000; // as kafkajs's own socket factory

interface Out {
  holds: number;
  held: boolean;
  sealed: boolean;
  /** Its connection closed before the next response: never reused. */
  retired: boolean;
}

export interface FetchBuffers {
  /** For `new Kafka({ socketFactory })`. TLS connections get kafkajs's plain path. */
  socketFactory: ISocketFactory;
  /**
   * Holds the pooled buffers the messages' keys, values and headers lie in, until the returned
   * function is called (once the batch is applied). Null when none lie in one.
   */
  hold(messages: readonly KafkaMessage[]): (() => void) | null;
  /** Whether kafkajs decodes responses in place (else it copies them as usual). */
  inPlace: boolean;
  counts(): { allocated: number; reused: number; free: number };
}

export interface FetchBuffersOptions {
  pooledFrom?: number;
  /** Free buffers kept for reuse. */
  keep?: number;
  /**
   * The consumer takes its plain record batches undecoded (lib/kafka/record-batches.ts, which
   * must be installed): every response these sockets read is marked for it.
   */
  undecoded?: boolean;
}

export function fetchBuffers(options: FetchBuffersOptions = {}): FetchBuffers {
  const pooledFrom = options.pooledFrom ?? POOLED_FROM;
  const keep = options.keep ?? 4;
  const undecoded = options.undecoded ?? false;
  const inPlace = decodeInPlace();
  const free: ArrayBuffer[] = [];
  const out = new WeakMap<ArrayBufferLike, Out>();
  let allocated = 0;
  let reused = 0;

  function take(size: number): Buffer {
    // the smallest that fits: a small response does not take a buffer a large one needs
    let i = -1;
    for (let j = 0; j < free.length; j++) if (free[j]!.byteLength >= size && (i < 0 || free[j]!.byteLength < free[i]!.byteLength)) i = j;
    let buffer: ArrayBuffer;
    if (i >= 0) {
      buffer = free.splice(i, 1)[0]!;
      reused++;
    } else {
      // whole MiB, so that a somewhat larger response next time fits too
      buffer = new ArrayBuffer(Math.ceil(size / MiB) * MiB);
      allocated++;
    }
    out.set(buffer, { holds: 0, held: false, sealed: false, retired: false });
    return Buffer.from(buffer, 0, size);
  }

  function settle(buffer: ArrayBufferLike, state: Out) {
    if (!state.sealed || state.holds > 0 || state.retired) return;
    out.delete(buffer);
    // never held: whatever read it may still hold it; the garbage collector decides
    if (state.held && free.length < keep) free.push(buffer as ArrayBuffer);
  }

  /** The connection closed with `buffer` its last response: left to the garbage collector. */
  function retire(buffer: ArrayBufferLike | undefined) {
    const state = buffer && out.get(buffer);
    if (!state) return;
    state.retired = true;
    out.delete(buffer);
  }

  function seal(buffer: ArrayBufferLike | undefined) {
    const state = buffer && out.get(buffer);
    if (!state) return;
    state.sealed = true;
    settle(buffer, state);
  }

  const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (ssl) {
      const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect);
      socket.setKeepAlive(true, KEEP_ALIVE_MS);
      return socket;
    }
    const scratch = Buffer.allocUnsafeSlow(SCRATCH);
    // bytes at the front of scratch that are not part of a response yet (< 4: a size prefix)
    let pending = 0;
    // the response being read into its own buffer, and how much of it is in
    let response: Buffer | null = null;
    let filled = 0;
    // the connection's last pooled response: sealed when the next one begins
    let lastPooled: ArrayBufferLike | undefined;

    const begin = (size: number) => {
      seal(lastPooled);
      lastPooled = undefined;
      const total = 4 + size;
      if (total >= pooledFrom) {
        response = take(total);
        lastPooled = response.buffer;
      } else response = undecoded ? Buffer.allocUnsafeSlow(total) : Buffer.allocUnsafe(total); // marked: a buffer of its own
      if (undecoded) markUndecoded(response.buffer);
      filled = 0;
    };
    const deliver = () => {
      const whole = response!;
      response = null;
      socket.emit('data', whole);
    };
    /** Moves what scratch holds into responses: whole small ones, and the start of the next. */
    const fromScratch = () => {
      let at = 0;
      while (pending - at >= 4) {
        const size = scratch.readInt32BE(at);
        if (size < 0 || size > MAX_RESPONSE) {
          socket.destroy(new Error(`a response of size ${size} from ${host}:${port}`));
          return;
        }
        begin(size);
        const n = Math.min(4 + size, pending - at);
        scratch.copy(response!, 0, at, at + n);
        filled = n;
        at += n;
        if (filled < 4 + size) break;
        deliver();
      }
      scratch.copyWithin(0, at, pending);
      pending -= at;
    };

    const socket = net.connect(
      {
        host,
        port,
        onread: {
          // asked at the start and after each callback: where the next read's bytes go, never
          // past the end of the response being read
          buffer: () => (response ? response.subarray(filled) : scratch.subarray(pending)),
          callback: (n: number) => {
            if (response) {
              filled += n;
              if (filled === response.length) deliver();
            } else {
              pending += n;
              fromScratch();
            }
            return true;
          },
        },
      },
      onConnect,
    );
    socket.setKeepAlive(true, KEEP_ALIVE_MS);
    socket.on('close', () => retire(lastPooled));
    return socket;
  };

  return {
    socketFactory,
    inPlace,
    hold(messages) {
      const held: [ArrayBufferLike, Out][] = [];
      const take = (bytes: Buffer | null | undefined) => {
        if (!bytes) return;
        const { buffer } = bytes;
        if (held.length > 0 && held[held.length - 1]![0] === buffer) return;
        const state = out.get(buffer);
        if (!state || held.some(([b]) => b === buffer)) return;
        state.holds++;
        state.held = true;
        held.push([buffer, state]);
      };
      for (const { key, value, headers } of messages) {
        take(key);
        take(value);
        for (const name in headers) {
          const header = headers[name];
          for (const v of Array.isArray(header) ? header : [header]) if (Buffer.isBuffer(v)) take(v);
        }
      }
      if (held.length === 0) return null;
      let dropped = false;
      return () => {
        if (dropped) return;
        dropped = true;
        for (const [buffer, state] of held) {
          state.holds--;
          settle(buffer, state);
        }
      };
    },
    counts: () => ({ allocated, reused, free: free.length }),
  };
}

let installed: boolean | undefined;

/**
 * Lets kafkajs decode a response that arrives whole where it lies. Its connection keeps the
 * bytes left over after a response (most often none) and joins the next chunk to them with
 * Buffer.concat, which copies even when the leftover is empty. This drops an empty leftover
 * first, so a whole response is decoded as it came: the same bytes, without the copy. Every
 * kafkajs connection in the process is affected, and none is changed otherwise: a socket of
 * kafkajs's own delivers each read in a buffer of its own, never reused.
 * False, and nothing changed, when kafkajs's connection is not the one this was written for.
 */
function decodeInPlace(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  const Connection = require('kafkajs/src/network/connection') as { prototype: { processData?: (raw: Buffer) => unknown } };
  const processData = Connection.prototype.processData;
  if (version !== '2.2.4' || typeof processData !== 'function' || !/this\.chunks = \[remainderBuffer\]/.test(processData.toString())) return false;
  Connection.prototype.processData = function (this: { chunks: Buffer[] }, raw: Buffer) {
    if (this.chunks.length === 1 && this.chunks[0]!.length === 0) this.chunks = [];
    return processData.call(this, raw);
  };
  installed = true;
  return true;
}
