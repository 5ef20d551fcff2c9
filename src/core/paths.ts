import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The first folder at or above `p` that others cannot enter (no x bit for others), or null. As
 * root, PostgreSQL runs as the postgres user, which must reach its binaries and data folder.
 */
export async function firstPrivateAncestor(p: string): Promise<string | null> {
  let dir = path.resolve(p);
  for (;;) {
    const st = await fs.stat(dir).catch(() => null);
    if (st && (st.mode & 0o001) === 0) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
