// Writes docs/report.schema.json from the zod schema in src/report/model/schema.ts, and
// docs/stats.schema.json from the statistics file's zod schema in src/stats/schema.ts.
import fs from 'node:fs';
import { z } from 'zod';
import { reportJsonSchema } from '../src/report/model/schema.ts';
import { StatsFileSchema } from '../src/stats/index.ts';

fs.writeFileSync(new URL('../docs/report.schema.json', import.meta.url), JSON.stringify(reportJsonSchema(), null, 2) + '\n');
console.log('docs/report.schema.json written');
const stats = { title: 'pg-rehearse statistics file (rehearse stats)', ...z.toJSONSchema(StatsFileSchema, { target: 'draft-2020-12' }) };
fs.writeFileSync(new URL('../docs/stats.schema.json', import.meta.url), JSON.stringify(stats, null, 2) + '\n');
console.log('docs/stats.schema.json written');
