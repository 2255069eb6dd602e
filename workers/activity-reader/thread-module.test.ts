import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildThreadModule, threadModule } from './thread-module';

const MANIFEST = fileURLToPath(new URL('../../build/activity-reader-manifest.json', import.meta.url));
const manifest = () => JSON.parse(readFileSync(MANIFEST, 'utf8')) as { bundle: string; inputs: Record<string, string> };

describe('the reader thread bundle', () => {
  it('is built once and reused while its sources are unchanged, and rebuilt when one has changed', async () => {
    const built = await buildThreadModule();
    const { inputs } = manifest();
    expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['workers/activity-reader/thread.ts', 'lib/stats/read-batch.ts', 'lib/redis/client.ts']));
    expect(readFileSync(built, 'utf8')).toContain('parentPort');
    expect((await threadModule()).href).toBe(built.href);

    // a source that no longer matches its recorded hash (as after an edit) makes the next start rebuild
    const edited = { ...manifest(), inputs: { ...inputs, 'lib/stats/read-batch.ts': '0'.repeat(64) } };
    writeFileSync(MANIFEST, JSON.stringify(edited));
    expect((await threadModule()).href).toBe(built.href); // same sources, same bundle
    expect(manifest().inputs['lib/stats/read-batch.ts']).toBe(inputs['lib/stats/read-batch.ts']);
  }, 30_000);
});
