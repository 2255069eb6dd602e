// Builds the native code, compiled for this machine (lib/native/addon.ts): the activity
// reader's scan (lib/stats/native/uid-ts.c) and the archiver's event check
// (lib/lake/native/lake-lines.c); and the activity reader thread's bundle
// (workers/activity-reader/thread-module.ts), so that a worker's start need not build any.
// Run at install. Where the C cannot be built the workers use their JavaScript paths (same
// results, slower), so that failure is reported, not fatal, unless --strict.
import { buildNativeLines } from '../lib/lake/native-lines';
import { buildNativeScan } from '../lib/stats/native-uid-ts';
import { buildThreadModule } from '../workers/activity-reader/thread-module';

const strict = process.argv.includes('--strict');
try {
  console.log(`native scan: ${buildNativeScan()}`);
} catch (err) {
  console.warn(`native scan not built (${(err as Error).message}); the activity worker will read frames in JavaScript, at a third of the speed`);
  if (strict) process.exit(1);
}
try {
  console.log(`native event check: ${buildNativeLines()}`);
} catch (err) {
  console.warn(`native event check not built (${(err as Error).message}); the archive worker will check events in JavaScript only`);
  if (strict) process.exit(1);
}
console.log(`reader thread bundle: ${(await buildThreadModule()).pathname}`);
