// The activity reader's grammar check in C (native/uid-ts.c), three times the speed of the
// JavaScript scanner. It is compiled on the machine itself (lib/native/addon.ts); where it
// cannot be, the JavaScript reader serves, with the same results.
import { fileURLToPath } from 'node:url';
import { type NativeAddon, addonPath, buildAddon, loadAddon } from '../native/addon';

export interface NativeScan {
  /**
   * Frame i is bytes[spans[2i], spans[2i+1]); out[5i] gets its STATUS, out[5i+1..5i+4] the
   * offsets in bytes of its last top-level uid value (start, end) and ts value (start, end),
   * -1 where it has none.
   */
  scan(bytes: Uint8Array, spans: Uint32Array, out: Int32Array): void;
  /** Where a view's bytes are in this process, for scanAt on another thread. */
  address(view: Uint8Array): bigint;
  /**
   * scan, over `length` bytes at `address` that another thread keeps alive and unchanged
   * meanwhile, copying what is to be decoded into `values`: each read frame's uid and ts
   * values (out's offsets are then into `values`) and each unsure frame whole (out[5i+1],
   * out[5i+2]). Returns the bytes of `values` used; -1 when they do not fit.
   */
  scanAt(address: bigint, length: number, spans: Uint32Array, out: Int32Array, values: Uint8Array): number;
}

export const STATUS = { INVALID: 0, OK: 1, UNSURE: 2 } as const;
export const SLOTS_PER_FRAME = 5;

// Found when asked, not as the module loads: the reader thread's bundle of this module is
// CommonJS, where there is no import.meta (it is given the build's path instead).
const addon = (): NativeAddon => ({ source: fileURLToPath(new URL('./native/uid-ts.c', import.meta.url)), stem: 'uid-ts' });

/** Where this source, built for this platform, lives: a changed source is a new file. */
export const nativeBinaryPath = (): string => addonPath(addon());

/** Compiles the scan for this machine; throws naming what is missing (compiler or headers). */
export const buildNativeScan = (): string => buildAddon(addon());

/** The built scan (at `file`, by default where this source's build goes), or why there is none. */
export function loadNativeScan(file = nativeBinaryPath()): { scan: NativeScan; file: string } | { scan: null; reason: string } {
  const loaded = loadAddon<NativeScan>(file);
  return loaded.exports ? { scan: loaded.exports, file: loaded.file } : { scan: null, reason: loaded.reason };
}
