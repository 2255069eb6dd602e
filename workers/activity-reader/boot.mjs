// The reader thread's entry: threads do not inherit tsx's loader, so register it, then load
// the TypeScript module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
