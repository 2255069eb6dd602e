// Lines of bytes built in place: a file's records go into large blocks as they come (the
// event's bytes copied as Kafka holds them), with no string per line for the collector to
// sweep and nothing to join or encode when the file is written.
// Blocks are given back once their file is written (release) and taken again: a fresh one's
// pages cost the kernel a fault and a zeroing each when first written (measured: ~1.9 s of
// the archive worker's main thread per million pings, more than checking and copying them).
// A buffer given a file to spill to writes each full block there and reuses it, so a range
// holds one block of memory however large it grows.
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const BLOCK = 1 << 20;
/** Free blocks kept (32 MiB): a spilling buffer holds one, so a range being filled and one being written per partition and hour fit. Kept only once freed: never more than was in use. */
const KEEP = 32;
const free: Buffer[] = [];
const takeBlock = (n: number) => (n <= BLOCK && free.length > 0 ? free.pop()! : Buffer.allocUnsafe(Math.max(BLOCK, n)));

export class LineBuffer {
  private readonly full: Buffer[] = [];
  private block = takeBlock(0);
  private used = 0;
  private fd: number | null = null;
  /** Bytes written. */
  size = 0;

  /** `spillTo`: a file full blocks are written to (made on the first), instead of kept. */
  constructor(private readonly spillTo?: string) {}

  private room(n: number): void {
    if (this.used + n <= this.block.length) return;
    if (this.used > 0 && this.spillTo !== undefined) {
      if (this.fd === null) {
        mkdirSync(dirname(this.spillTo), { recursive: true });
        this.fd = openSync(this.spillTo, 'w');
      }
      for (let at = 0; at < this.used; ) at += writeSync(this.fd, this.block, at, this.used - at);
      this.used = 0;
      if (n <= this.block.length) return;
    } else if (this.used > 0) this.full.push(this.block.subarray(0, this.used));
    this.block = takeBlock(n);
    this.used = 0;
  }

  /** The file holding the first bytes (closed now: what is left are blocks()), or null when none spilled. */
  spilled(): string | null {
    if (this.fd === null) return null;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    return this.spillTo!;
  }

  /** Releases the blocks and removes the spill file (the records are not to be written). */
  discard(): void {
    if (this.fd !== null) {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = null;
      try {
        unlinkSync(this.spillTo!);
      } catch {
        // gone already
      }
    }
    this.release();
  }

  /** Text of ASCII characters only (numbers, JSON punctuation, field names). */
  ascii(text: string): void {
    this.room(text.length);
    this.used += this.block.write(text, this.used, 'latin1');
    this.size += text.length;
  }

  utf8(text: string): void {
    const n = Buffer.byteLength(text);
    this.room(n);
    this.used += this.block.write(text, this.used, 'utf8');
    this.size += n;
  }

  bytes(source: Uint8Array): void {
    this.room(source.length);
    this.block.set(source, this.used);
    this.used += source.length;
    this.size += source.length;
  }

  /** Room for `n` more bytes in one block: the block, and where its free bytes start (see wrote). */
  writable(n: number): [Buffer, number] {
    this.room(n);
    return [this.block, this.used];
  }

  /** Counts `n` bytes written into the block writable gave, from where it said. */
  wrote(n: number): void {
    this.used += n;
    this.size += n;
  }

  /** Gives the blocks back for other buffers to take: this one is not to be used after. */
  release(): void {
    if (this.fd !== null && this.fd >= 0) closeSync(this.fd);
    if (this.fd !== null) this.fd = -1;
    for (const b of [...this.full, this.block]) if (b.buffer.byteLength === BLOCK && b.byteOffset === 0 && free.length < KEEP) free.push(Buffer.from(b.buffer, 0, BLOCK));
    this.full.length = 0;
    this.block = Buffer.alloc(0); // a write after this takes a block of its own; a second release gives none back
    this.used = 0;
    this.size = 0;
  }

  /** The bytes so far, as blocks (for one vectored write). */
  blocks(): Buffer[] {
    return this.used > 0 ? [...this.full, this.block.subarray(0, this.used)] : [...this.full];
  }
}
