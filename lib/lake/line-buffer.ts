// Lines of bytes built in place: a file's records go into large blocks as they come (the
// event's bytes copied as Kafka holds them), with no string per line for the collector to
// sweep and nothing to join or encode when the file is written.
// Blocks are given back once their file is written (release) and taken again: a fresh one's
// pages cost the kernel a fault and a zeroing each when first written (measured: ~1.9 s of
// the archive worker's main thread per million pings, more than checking and copying them).
// A buffer given a file to spill to writes each full block there, so a range holds a few
// blocks of memory however large it grows. The writes run in the background (libuv's threads:
// on the event loop they were ~0.7 s of the archive worker's main thread per million pings),
// each at its own position in the file, at most WRITING at once per buffer (past that, a block
// is written before the buffer goes on); spilled() waits for them. The file is closed only
// once no write is under way, so a write never lands in a file that took over its descriptor.
import { close, closeSync, mkdirSync, openSync, unlink, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const BLOCK = 1 << 20;
/** Free blocks kept (32 MiB): a spilling buffer holds one, so a range being filled and one being written per partition and hour fit. Kept only once freed: never more than was in use. */
const KEEP = 32;
const free: Buffer[] = [];
const takeBlock = (n: number) => (n <= BLOCK && free.length > 0 ? free.pop()! : Buffer.allocUnsafe(Math.max(BLOCK, n)));
const giveBlock = (b: Buffer) => {
  if (b.buffer.byteLength === BLOCK && b.byteOffset === 0 && free.length < KEEP) free.push(Buffer.from(b.buffer, 0, BLOCK));
};
/** Spill writes under way at once per buffer. */
const WRITING = 4;

/** Writes all of block[0, length) at `position`, retrying a short write. */
function writeAll(fd: number, block: Buffer, length: number, position: number, done: (err: Error | null) => void, at = 0): void {
  write(fd, block, at, length - at, position + at, (err, n) => {
    if (err) done(err);
    else if (n === 0) done(new Error('a spill write wrote nothing'));
    else if (at + n < length) writeAll(fd, block, length, position, done, at + n);
    else done(null);
  });
}

export class LineBuffer {
  private readonly full: Buffer[] = [];
  private block = takeBlock(0);
  private used = 0;
  private fd: number | null = null;
  /** Bytes in the spill file (written or under way). */
  private spilledBytes = 0;
  private writing = 0;
  private writeError: Error | null = null;
  /** Waiting for the writes under way (spilled), or for them to end so the file can go (discard). */
  private idle: (() => void)[] = [];
  /** Bytes written. */
  size = 0;

  /** `spillTo`: a file full blocks are written to (made on the first), instead of kept. */
  constructor(private readonly spillTo?: string) {}

  private room(n: number): void {
    if (this.used + n <= this.block.length) return;
    if (this.used > 0 && this.spillTo !== undefined && this.fd !== -1) {
      this.spill();
      if (n <= this.block.length) return;
    } else if (this.used > 0) this.full.push(this.block.subarray(0, this.used));
    this.block = takeBlock(n);
    this.used = 0;
  }

  /** Writes the block to the spill file (in the background while few are under way) and moves on to an empty one. */
  private spill(): void {
    if (this.fd === null) {
      mkdirSync(dirname(this.spillTo!), { recursive: true });
      this.fd = openSync(this.spillTo!, 'w');
    }
    const fd = this.fd;
    const position = this.spilledBytes;
    if (this.writing >= WRITING) {
      for (let at = 0; at < this.used; ) {
        const n = writeSync(fd, this.block, at, this.used - at, position + at);
        if (n === 0) throw new Error('a spill write wrote nothing');
        at += n;
      }
      this.spilledBytes += this.used; // only once written: a write that threw leaves the buffer as it was
      this.used = 0;
      return;
    }
    this.spilledBytes += this.used;
    const block = this.block;
    this.writing++;
    writeAll(fd, block, this.used, position, (err) => {
      this.writing--;
      this.writeError ??= err;
      giveBlock(block);
      if (this.writing === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
    this.block = takeBlock(0);
    this.used = 0;
  }

  private async writesDone(): Promise<void> {
    if (this.writing > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** The file holding the first bytes, once written and closed (what is left are blocks()), or null when none spilled. */
  async spilled(): Promise<string | null> {
    if (this.fd === null) return null;
    await this.writesDone();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.writeError) throw this.writeError;
    return this.spillTo!;
  }

  /** Releases the blocks and removes the spill file (the records are not to be written), once no write to it is under way: resolves then. */
  discard(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    const path = this.spillTo!;
    const gone =
      fd === null
        ? Promise.resolve()
        : this.writesDone().then(
            () =>
              new Promise<void>((resolve) => {
                const remove = () => unlink(path, () => resolve()); // gone already, or never made
                if (fd >= 0) close(fd, remove);
                else remove();
              }),
          );
    this.release();
    return gone;
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
    if (this.fd !== null && this.fd >= 0) {
      const fd = this.fd;
      void this.writesDone().then(() => close(fd, () => undefined));
    }
    if (this.fd !== null) this.fd = -1;
    for (const b of [...this.full, this.block]) giveBlock(b);
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
