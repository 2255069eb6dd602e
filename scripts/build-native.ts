// Compiles the activity reader's native scan (lib/stats/native/uid-ts.c) for this machine.
// Run at install; where it cannot be built the worker reads frames in JavaScript, so a failure
// here is reported, not fatal, unless --strict (the tests' set-up, which needs both readers).
import { buildNativeScan } from '../lib/stats/native-uid-ts';

const strict = process.argv.includes('--strict');
try {
  console.log(`native scan: ${buildNativeScan()}`);
} catch (err) {
  console.warn(`native scan not built (${(err as Error).message}); the activity worker will read frames in JavaScript, at a third of the speed`);
  if (strict) process.exit(1);
}
