import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import { LAYOUTS_HINT, type SourceFile } from './layouts.ts';

/** The .sql files directly in a folder, read, in name order (hidden files and subfolders left out). */
export async function readSqlFiles(folder: string): Promise<SourceFile[]> {
  const info = await stat(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!info) throw usageError(`migration folder ${folder} does not exist`, 'pass the folder that holds the .sql migration files');
  if (!info.isDirectory()) throw usageError(`${folder} is not a folder`, LAYOUTS_HINT);

  const entries = await readdir(folder, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(folder, name);
      const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
      return { name, path: file, text };
    }),
  );
}

/** A text file without its BOM, or undefined when it does not exist (any other error is thrown). */
export const readIfThere = (file: string) =>
  readFile(file, 'utf8').then(
    (t) => t.replace(/^\uFEFF/, ''),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
