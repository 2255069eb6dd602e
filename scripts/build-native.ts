// Builds what the activity worker's reader thread runs: the native scan (lib/stats/native/
// uid-ts.c), compiled for this machine, and the thread's bundle (workers/activity-reader/
// thread-module.ts), so that a worker's start need not build either. Run at install. Where
// the scan cannot be built the worker reads frames in JavaScript, so that failure is
// reported, not fatal, unless --strict (the tests' set-up, which needs both readers).
import { buildNativeScan } from '../lib/stats/native-uid-ts';
import { buildThreadModule } from '../workers/activity-reader/thread-module';

const strict = process.argv.includes('--strict');
try {
  console.log(`native scan: ${buildNativeScan()}`);
} catch (err) {
  console.warn(`native scan not built (${(err as Error).message}); the activity worker will read frames in JavaScript, at a third of the speed`);
  if (strict) process.exit(1);
}
console.log(`reader thread bundle: ${(await buildThreadModule()).pathname}`);
