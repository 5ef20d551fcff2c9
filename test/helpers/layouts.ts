import path from 'node:path';
import { readMigrations } from '../../src/migrations/index.ts';
import { replay } from '../../src/replay/index.ts';
import { silentLogger } from '../../src/core/log.ts';

export const fixture = (...parts: string[]) => path.join('test/fixtures-migrations', ...parts);

/** Read the folder against the database, replay the pending ones in order, then (rollback) their downs newest first. */
export async function rehearseFolder(url: string, folder: string, options: { rollback?: boolean } = {}) {
  const set = await readMigrations(folder, { url });
  const pending = set.migrations.filter((m) => m.pending);
  const up = await replay({ url, migrations: pending, log: silentLogger });
  const down = options.rollback ? await replay({ url, migrations: [...pending].reverse(), direction: 'down', log: silentLogger }) : undefined;
  return {
    set,
    up,
    down,
    replayed: up.migrations.map((m) => [m.id, m.status]),
    rollBack: () => replay({ url, migrations: [...pending].reverse(), direction: 'down', log: silentLogger }),
  };
}
