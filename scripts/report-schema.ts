// Writes docs/report.schema.json from the zod schema in src/report/schema.ts.
import fs from 'node:fs';
import { reportJsonSchema } from '../src/report/model/schema.ts';

fs.writeFileSync(new URL('../docs/report.schema.json', import.meta.url), JSON.stringify(reportJsonSchema(), null, 2) + '\n');
console.log('docs/report.schema.json written');
