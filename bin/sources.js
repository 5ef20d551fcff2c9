// Which code bin/rehearse.js runs: dist/ (compiled by `npm run build`), or the TypeScript sources.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

/** The stamp of a source tree: every file's path, size and modification time, hashed (a few ms for src/). */
export function sourcesStamp(srcDir) {
  const hash = createHash('sha1');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else {
        const s = statSync(file);
        hash.update(`${path.relative(srcDir, file)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(srcDir);
  return hash.digest('hex');
}

export const STAMP_FILE = '.sources-stamp';

/**
 * 'dist' when dist/ is what runs: the installed package (no src/ beside it), or a clone whose
 * dist/ was built from the sources as they are now. 'sources' otherwise, and always when
 * PG_REHEARSE_SOURCES=1 (the tests run the sources).
 */
export function pick(root) {
  try {
    statSync(path.join(root, 'src'));
  } catch {
    return 'dist';
  }
  if (process.env.PG_REHEARSE_SOURCES === '1') return 'sources';
  let stamp;
  try {
    stamp = readFileSync(path.join(root, 'dist', STAMP_FILE), 'utf8').trim();
  } catch {
    return 'sources';
  }
  return stamp === sourcesStamp(path.join(root, 'src')) ? 'dist' : 'sources';
}
