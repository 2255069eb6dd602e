// Lines of bytes built in place: a file's records go into large blocks as they come (the
// event's bytes copied as Kafka holds them), with no string per line for the collector to
// sweep and nothing to join or encode when the file is written.
const BLOCK = 1 << 20;

export class LineBuffer {
  private readonly full: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  /** Bytes written. */
  size = 0;

  private room(n: number): void {
    if (this.used + n <= this.block.length) return;
    if (this.used > 0) this.full.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafe(Math.max(BLOCK, n));
    this.used = 0;
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

  /** The bytes so far, as blocks (for one vectored write). */
  blocks(): Buffer[] {
    return this.used > 0 ? [...this.full, this.block.subarray(0, this.used)] : [...this.full];
  }
}
