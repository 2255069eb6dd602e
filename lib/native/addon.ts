// Native addons compiled on the machine itself (`npm run build:native`, run at install) with
// the C compiler and the headers Node ships: lib/stats/native/uid-ts.c (the activity reader's
// scan) and lib/lake/native/lake-lines.c (the archiver's event check). Where either is
// missing, the JavaScript code each stands in for serves, with the same results.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  /** The C source's path. */
  source: string;
  /** The binaries' file name stem: `<stem>-<platform>-<arch>-<hash>.node`. */
  stem: string;
}

const buildDir = () => fileURLToPath(new URL('../../build/native/', import.meta.url));

/** Where this source, built for this platform, lives: a changed source is a new file. */
export function addonPath(addon: NativeAddon): string {
  const hash = createHash('sha256').update(readFileSync(addon.source)).digest('hex').slice(0, 12);
  return path.join(buildDir(), `${addon.stem}-${process.platform}-${process.arch}-${hash}.node`);
}

/** Compiles the addon for this machine; throws naming what is missing (compiler or headers). */
export function buildAddon(addon: NativeAddon): string {
  const target = addonPath(addon);
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
    execFileSync(cc, [...flags, '-o', partial, addon.source, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(partial, target);
    // builds of older sources are of no further use
    const stem = `${addon.stem}-${process.platform}-${process.arch}-`;
    for (const f of readdirSync(dir)) if (f.startsWith(stem) && f.endsWith('.node') && path.join(dir, f) !== target) rmSync(path.join(dir, f), { force: true });
  } catch (err) {
    rmSync(partial, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    throw new Error(e.code === 'ENOENT' ? `no C compiler (${cc}) on this machine` : `${cc} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
  return target;
}

/** The exports of the addon built at `file` (addonPath's), or why there are none. */
export function loadAddon<T>(file: string): { exports: T; file: string } | { exports: null; reason: string } {
  if (!existsSync(file)) return { exports: null, reason: `not built for this source (${path.basename(file)}): run npm run build:native` };
  try {
    const module = { exports: {} as T };
    process.dlopen(module, file);
    return { exports: module.exports, file };
  } catch (err) {
    return { exports: null, reason: `${path.basename(file)} did not load: ${(err as Error).message}` };
  }
}
