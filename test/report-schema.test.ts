import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportJsonSchema } from '../src/report/model/schema.ts';

describe('docs/report.schema.json', () => {
  it('is the JSON Schema generated from src/report/schema.ts (run `npm run docs:schema` after changing it)', () => {
    const onDisk = JSON.parse(fs.readFileSync('docs/report.schema.json', 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });
});
