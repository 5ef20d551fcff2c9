import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../report/index.ts';
import type { SuggestedRewrite } from './types.ts';

/**
 * Write the suggested migrations: the original folder copied as is (same layout, same names, the
 * downs and the tool's metadata with it), each statement with a mechanical finding replaced by the
 * finding's suggestedSql in its file, at its place. The first mechanical finding of a statement
 * wins (the rules are ordered). Returns the rewrites made.
 */
export async function writeSuggestedFolder(
  originalFolder: string,
  target: string,
  findings: Finding[],
  sqlOf: (f: Finding) => string,
): Promise<SuggestedRewrite[]> {
  await fs.rm(target, { recursive: true, force: true });
  await fs.cp(originalFolder, target, { recursive: true });
  const chosen = new Map<string, Finding>();
  for (const f of findings) {
    if (!f.mechanical || f.suggestedSql === null || f.statementIndex === null || !f.file || f.line === null) continue;
    const key = `${f.file}\0${f.statementIndex}\0${f.line}`;
    if (!chosen.has(key)) chosen.set(key, f);
  }
  const byFile = new Map<string, Finding[]>();
  for (const f of chosen.values()) byFile.set(f.file!, [...(byFile.get(f.file!) ?? []), f]);
  const rewrites: SuggestedRewrite[] = [];
  for (const [file, list] of byFile) {
    const rel = path.relative(originalFolder, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // not a file of the folder
    const out = path.join(target, rel);
    let text = await fs.readFile(out, 'utf8');
    // from the last statement up, so earlier positions stay put
    for (const f of list.sort((a, b) => b.line! - a.line!)) {
      const at = statementOffset(text, f.line!, sqlOf(f));
      if (at === null) continue;
      const original = sqlOf(f);
      text = text.slice(0, at) + f.suggestedSql!.replace(/;\s*$/, '') + text.slice(at + original.length);
      rewrites.push({ rule: f.rule, migrationId: f.migrationId, statementIndex: f.statementIndex!, file, line: f.line!, suggestedFile: out });
    }
    await fs.writeFile(out, text);
  }
  return rewrites.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Where the statement's text starts in the file: at its line or after. */
function statementOffset(text: string, line: number, sql: string): number | null {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return null;
    offset = nl + 1;
  }
  const at = text.indexOf(sql, offset);
  return at < 0 ? null : at;
}
