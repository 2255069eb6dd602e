import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchemaTypes, schemaTypesPath } from '../../scripts/generate-schema-types';

describe('generated schema types', () => {
  it('match schemas/ (run `npm run schemas:types` after changing a schema)', async () => {
    expect(readFileSync(schemaTypesPath, 'utf8')).toBe(await renderSchemaTypes());
  });
});
