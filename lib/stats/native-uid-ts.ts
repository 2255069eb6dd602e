// The activity reader's grammar check in C (native/uid-ts.c), three times the speed of the
// JavaScript scanner. It is compiled on the machine itself (`npm run build:native`, run at
// install) with the C compiler and the headers Node ships; where either is missing the
// JavaScript reader serves, with the same results.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
const sourcePath = () => fileURLToPath(new URL('./native/uid-ts.c', import.meta.url));
const buildDir = () => fileURLToPath(new URL('../../build/native/', import.meta.url));

/** Where this source, built for this platform, lives: a changed source is a new file. */
export function nativeBinaryPath(): string {
  const hash = createHash('sha256').update(readFileSync(sourcePath())).digest('hex').slice(0, 12);
  return path.join(buildDir(), `uid-ts-${process.platform}-${process.arch}-${hash}.node`);
}

/** Compiles the scan for this machine; throws naming what is missing (compiler or headers). */
export function buildNativeScan(): string {
  const target = nativeBinaryPath();
  if (existsSync(target)) return target;
  const headers = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  if (!existsSync(path.join(headers, 'node_api.h'))) throw new Error(`Node's headers (node_api.h) are not in ${headers}`);
  const cc = process.env.CC || 'cc';
  const flags = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-I', headers];
  if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
  const dir = buildDir();
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  try {
    execFileSync(cc, [...flags, '-o', partial, sourcePath()], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(partial, target);
    // builds of older sources are of no further use
    const stem = `uid-ts-${process.platform}-${process.arch}-`;
    for (const f of readdirSync(dir)) if (f.startsWith(stem) && f.endsWith('.node') && path.join(dir, f) !== target) rmSync(path.join(dir, f), { force: true });
  } catch (err) {
    rmSync(partial, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    throw new Error(e.code === 'ENOENT' ? `no C compiler (${cc}) on this machine` : `${cc} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
  return target;
}

/** The built scan (at `file`, by default where this source's build goes), or why there is none. */
export function loadNativeScan(file = nativeBinaryPath()): { scan: NativeScan; file: string } | { scan: null; reason: string } {
  if (!existsSync(file)) return { scan: null, reason: `not built for this source (${path.basename(file)}): run npm run build:native` };
  try {
    const addon = { exports: {} as NativeScan };
    process.dlopen(addon, file);
    return { scan: addon.exports, file };
  } catch (err) {
    return { scan: null, reason: `${path.basename(file)} did not load: ${(err as Error).message}` };
  }
}
