// The reader thread as one plain CommonJS module, bundled by esbuild. A thread does not
// inherit tsx's loader, and loading the TypeScript through it took a busy core's half second
// at start. Packages stay requires from node_modules: as CommonJS requires they load without
// the export scan an ES module's import of them costs (a thread up in ~80 ms of CPU, against
// ~140 ms for the same bundle as an ES module: ioredis is most of it).
//
// The bundle is built at install (scripts/build-native.ts) and again whenever a source it
// was built from has changed since: a manifest beside it lists those sources with their
// hashes, so a worker's start checks a few small files instead of starting esbuild.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./thread.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_DIR = path.join(ROOT, 'build');
const STEM = 'activity-reader-';
const MANIFEST = path.join(BUILD_DIR, `${STEM}manifest.json`);

interface Manifest {
  /** The bundle's file name in BUILD_DIR. */
  bundle: string;
  /** Each source bundled (relative to the root) and its sha256. */
  inputs: Record<string, string>;
}

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The bundle the manifest names, when it exists and every source it lists is unchanged. */
function current(): URL | null {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
  } catch {
    return null;
  }
  const file = path.join(BUILD_DIR, manifest.bundle);
  if (!existsSync(file)) return null;
  for (const [input, hash] of Object.entries(manifest.inputs)) {
    try {
      if (sha(readFileSync(path.join(ROOT, input))) !== hash) return null;
    } catch {
      return null;
    }
  }
  return pathToFileURL(file);
}

/** Bundles thread.ts and records what it was built from; returns the bundle. */
export async function buildThreadModule(): Promise<URL> {
  const { build, stop } = await import('esbuild');
  const { outputFiles, metafile } = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    metafile: true,
    absWorkingDir: ROOT,
    logLevel: 'silent',
  }).finally(
    () => void stop(), // esbuild's service process is not needed again
  );
  const code = outputFiles[0]!.text;
  const bundle = `${STEM}${sha(code).slice(0, 12)}.cjs`;
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(metafile.inputs)) inputs[input] = sha(readFileSync(path.join(ROOT, input)));
  mkdirSync(BUILD_DIR, { recursive: true });
  const write = (file: string, text: string) => {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  };
  const file = path.join(BUILD_DIR, bundle);
  if (!existsSync(file)) write(file, code);
  write(MANIFEST, JSON.stringify({ bundle, inputs } satisfies Manifest, null, 2));
  // bundles of older sources are of no further use
  for (const f of readdirSync(BUILD_DIR)) if (f.startsWith(STEM) && /\.[cm]js$/.test(f) && f !== bundle) rmSync(path.join(BUILD_DIR, f), { force: true });
  return pathToFileURL(file);
}

/** The bundle of thread.ts as the sources are now: the one built before, or a new one. */
export async function threadModule(): Promise<URL> {
  return current() ?? buildThreadModule();
}
