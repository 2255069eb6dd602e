// The reader thread as one plain ES module, bundled by esbuild when a worker starts. A thread
// does not inherit tsx's loader, and loading the TypeScript through it took a busy core's
// half second at start; the bundle loads in ~70 ms. Packages stay imports from node_modules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./thread.ts', import.meta.url));
const BUILD_DIR = fileURLToPath(new URL('../../build/', import.meta.url));
const STEM = 'activity-reader-';

/** The bundle of thread.ts as it is now, named by its content (written once, atomically). */
export async function threadModule(): Promise<URL> {
  const { outputFiles } = await build({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', write: false, logLevel: 'silent' }).finally(
    () => void stop(), // esbuild's service process is not needed again
  );
  const code = outputFiles[0]!.text;
  const file = path.join(BUILD_DIR, `${STEM}${createHash('sha256').update(code).digest('hex').slice(0, 12)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(BUILD_DIR, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
    // bundles of older sources are of no further use
    for (const f of readdirSync(BUILD_DIR)) if (f.startsWith(STEM) && f.endsWith('.mjs') && path.join(BUILD_DIR, f) !== file) rmSync(path.join(BUILD_DIR, f), { force: true });
  }
  return pathToFileURL(file);
}
