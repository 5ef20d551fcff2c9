import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFormats, readReportFile, renderFileFormat, writeFormats, writeFormatsFromJson } from '../src/report/io/formats.ts';
import { serializeReport } from '../src/report/io/write.ts';
import { exampleReport, trafficReport } from './fixtures-reports/reports.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-formats-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('formats', () => {
  it('parses a list, rejects an unknown format', () => {
    expect(parseFormats('md,html, junit')).toEqual(['md', 'html', 'junit']);
    expect(parseFormats(['markdown', 'xml', 'json'])).toEqual(['md', 'junit', 'json']);
    expect(() => parseFormats('md,pdf')).toThrow(/--format: unknown format "pdf"/);
  });

  it('writes report.json always, and every format from its text; re-rendering the saved file gives the same bytes', async () => {
    const report = trafficReport();
    report.run.argv = ['run', '--database-url', 'postgresql://me:topsecret@db/app'];
    const files = await writeFormats(report, path.join(dir, 'a'), ['md', 'html', 'junit', 'terminal']);
    expect(files.map((f) => path.basename(f.file))).toEqual(['report.json', 'report.md', 'report.html', 'junit.xml']);
    for (const f of files) expect(fs.readFileSync(f.file, 'utf8')).not.toContain('topsecret');

    const { json } = await readReportFile(path.join(dir, 'a', 'report.json'));
    expect(json).toBe(serializeReport(report));
    const again = await writeFormatsFromJson(json, path.join(dir, 'b'), ['md', 'html', 'junit']);
    for (const f of again) expect(fs.readFileSync(f.file)).toEqual(fs.readFileSync(path.join(dir, 'a', path.basename(f.file))));
    expect(renderFileFormat(json, 'json')).toBe(json);
  });

  it('readReportFile: a clear usage error for what is not a report', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, 'not json');
    await expect(readReportFile(bad)).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(readReportFile(path.join(dir, 'nope.json'))).rejects.toThrow(/nope\.json: cannot be read/);
    const future = path.join(dir, 'future.json');
    fs.writeFileSync(future, JSON.stringify({ ...exampleReport(), schemaVersion: '9.0' }));
    await expect(readReportFile(future)).rejects.toThrow(/schemaVersion 9\.0 is not supported/);
  });
});
