import fs from 'node:fs/promises';
import path from 'node:path';

/** Bytes of all files under a folder (what a plain copy of it needs). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}
