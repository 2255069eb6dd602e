import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('.env.example', () => {
  it('documents every variable the config reads, and only those', () => {
    const source = ['lib/config/index.ts'].map((f) => readFileSync(f, 'utf8')).join('\n');
    const read = new Set([...source.matchAll(/read\w+\(env, '([A-Z_]+)'/g)].map((m) => m[1]));
    const documented = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect(read.size).toBeGreaterThan(5);
    expect([...documented].sort()).toEqual([...read].sort());
  });
});
