import fs from 'node:fs/promises';
import path from 'node:path';
import { splitStatements, type MigrationFormat, type Statement } from '../migrations/index.ts';

/**
 * Rewrites in the tool's own terms: a tool that runs a migration file as one script or one
 * transaction cannot run a statement PostgreSQL refuses in a transaction block (CREATE INDEX
 * CONCURRENTLY, VACUUM, a DO block that commits between batches) among other statements. Each such
 * statement of a rewritten file goes into a migration of its own, named and ordered as the tool
 * expects (right after the file it came from), with the tool's no-transaction marker where it has
 * one; the statements after it go into a further migration, so the order of every statement is
 * kept. The replay then runs the suggested folder as the tool would: each new file on its own.
 *
 * | tool | new migration | marker |
 * |---|---|---|
 * | prisma | `<number+n>_<name>_part<n>/migration.sql` (folders run in name order) | none: a one-statement script is not wrapped |
 * | golang-migrate | `<version+n>_<name>_part<n>.up.sql` | none: one statement per Exec |
 * | flyway | `V<version>.<n>__<name>_part<n>.sql` | `.sql.conf` with `executeInTransaction=false` |
 * | goose | `<version+n>_<name>_part<n>.sql` | `-- +goose NO TRANSACTION` (the statement between StatementBegin/End) |
 * | dbmate | `<version+n>_<name>_part<n>.sql` | `-- migrate:up transaction:false` |
 * | sqlx | `<version+n>_<name>_part<n>[.up].sql` | `-- no-transaction` as its first line |
 *
 * A number version with no room after it (3 then 4) moves the later migrations up, so versions
 * stay unique and in order (they are all pending: the split one is).
 */
export const PLACED_TOOLS: readonly MigrationFormat[] = ['prisma', 'golang-migrate', 'flyway', 'goose', 'dbmate', 'sqlx'];

/** A new migration file written for a part of a rewritten file: where it is and which file it came from. */
export interface Placed {
  file: string;
  from: string;
  /** it runs outside a transaction block (its marker says so where the tool has one) */
  outside: boolean;
}

interface Part {
  statements: Statement[];
  outside: boolean;
  text: string;
}

/**
 * Split each rewritten file whose statements need it; returns the new migration files and the
 * renames of later migrations a version shift made (old path → new path).
 */
export async function placeOutsideTransactions(format: MigrationFormat | null, files: string[]): Promise<{ placed: Placed[]; renamed: Map<string, string> }> {
  const renamed = new Map<string, string>();
  let placed: Placed[] = [];
  if (!format || !PLACED_TOOLS.includes(format)) return { placed, renamed };
  // from the last file up: a version shift moves only files after the one being split
  const ordered = [...new Set(files)].sort((a, b) => compareVersionOf(format, b, a));
  for (const file of ordered) {
    const moved = new Map<string, string>();
    const made = await splitFile(format, file, moved);
    const to = (p: string) => moved.get(p) ?? p;
    const ours = new Set(placed.map((x) => x.file));
    placed = [...placed.map((x) => ({ ...x, file: to(x.file), from: to(x.from) })), ...made];
    for (const [a, b] of moved) {
      if (ours.has(a)) continue; // a part written here: placed[] has its new name
      const original = [...renamed].find(([, now]) => now === a)?.[0];
      renamed.set(original ?? a, b);
    }
  }
  return { placed, renamed };
}

/** The migration's version from its path (Prisma: its folder; Flyway: after the V), compared as numbers, dotted parts in turn. */
function compareVersionOf(format: MigrationFormat, a: string, b: string): number {
  const version = (p: string) => {
    const name = path.basename(format === 'prisma' ? path.dirname(p) : p);
    return (
      (format === 'flyway' ? /^V(\d+(?:[._]\d+)*)__/ : /^(\d+)_/)
        .exec(name)?.[1]
        ?.split(/[._]/)
        .map((x) => BigInt(x)) ?? []
    );
  };
  const [x, y] = [version(a), version(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1n) - (y[i] ?? -1n);
    if (d !== 0n) return d > 0n ? 1 : -1;
  }
  return a.localeCompare(b);
}

const SECTIONS: Partial<Record<MigrationFormat, { up: RegExp; down: RegExp }>> = {
  goose: { up: /^--\s*\+goose\s+up\b.*$/im, down: /^--\s*\+goose\s+down\b.*$/im },
  dbmate: { up: /^--\s*migrate:up\b.*$/im, down: /^--\s*migrate:down\b.*$/im },
};

/** The file already runs outside a transaction (the tool's marker): each statement is on its own there. */
async function alreadyOutside(format: MigrationFormat, file: string, text: string): Promise<boolean> {
  switch (format) {
    case 'goose':
      return /^--\s*\+goose\s+no\s+transaction\b/im.test(text);
    case 'dbmate':
      return /^--\s*migrate:up\b.*transaction:false/im.test(text);
    case 'sqlx':
      return text.startsWith('-- no-transaction');
    case 'flyway':
      return /executeInTransaction\s*=\s*false/i.test(await fs.readFile(`${file}.conf`, 'utf8').catch(() => ''));
    default:
      return false;
  }
}

async function splitFile(format: MigrationFormat, file: string, moved: Map<string, string>): Promise<Placed[]> {
  const text = await fs.readFile(file, 'utf8');
  if (await alreadyOutside(format, file, text)) return [];
  // the up section: goose and dbmate keep up and down in one file
  const sec = SECTIONS[format];
  const upMatch = sec?.up.exec(text);
  const upStart = upMatch ? upMatch.index + upMatch[0].length + 1 : 0;
  const downMatch = sec ? sec.down.exec(text.slice(upStart)) : null;
  const upEnd = downMatch ? upStart + downMatch.index : text.length;
  const up = text.slice(upStart, upEnd);
  const statements = await splitStatements(up, file);
  const parts = partsOf(up, statements);
  if (parts.length < 2) return [];

  const names = newNames(format, file, parts.length - 1);
  await makeRoom(format, file, parts.length - 1, moved);
  // the first part stays where it was; a goose/dbmate file keeps its markers and its down section
  const head = parts[0]!;
  let before = text.slice(0, upStart);
  if (head.outside && format === 'dbmate') before = before.replace(sec!.up, (line) => `${line} transaction:false`);
  if (head.outside && format === 'goose') before = `-- +goose NO TRANSACTION\n${before}`;
  if (head.outside && format === 'sqlx') before = `-- no-transaction\n${before}`;
  if (head.outside && format === 'flyway') await fs.writeFile(`${file}.conf`, 'executeInTransaction=false\n');
  const firstText = format === 'goose' ? wrapGoose(head) : head.text;
  await fs.writeFile(file, before + firstText + (downMatch ? `\n${text.slice(upEnd)}` : ''));
  const out: Placed[] = [];
  for (const [i, part] of parts.slice(1).entries()) {
    const name = names[i]!;
    await fs.mkdir(path.dirname(name), { recursive: true });
    await fs.writeFile(name, wrap(format, part));
    if (format === 'flyway' && part.outside) await fs.writeFile(`${name}.conf`, 'executeInTransaction=false\n');
    out.push({ file: name, from: file, outside: part.outside });
  }
  return out;
}

/** Consecutive transactional statements together; each statement refused in a transaction block alone. */
function partsOf(up: string, statements: Statement[]): Part[] {
  const groups: { statements: Statement[]; outside: boolean }[] = [];
  for (const s of statements) {
    const last = groups.at(-1);
    if (!s.transactional) groups.push({ statements: [s], outside: true });
    else if (last && !last.outside) last.statements.push(s);
    else groups.push({ statements: [s], outside: false });
  }
  if (groups.length < 2) return [];
  const lines = up.split('\n');
  return groups.map((g, i) => {
    const from = i === 0 ? 0 : g.statements[0]!.line - 1;
    const to = i + 1 < groups.length ? groups[i + 1]!.statements[0]!.line - 1 : lines.length;
    return { ...g, text: `${lines.slice(from, to).join('\n').replace(/\s+$/, '')}\n` };
  });
}

/** goose: the statement between StatementBegin/End (a DO block holds semicolons), the annotation outside a transaction. */
function wrapGoose(p: Part): string {
  return p.outside ? `-- +goose StatementBegin\n${p.text.replace(/\s+$/, '')}\n-- +goose StatementEnd\n` : p.text;
}

function wrap(format: MigrationFormat, p: Part): string {
  switch (format) {
    case 'goose':
      return `${p.outside ? '-- +goose NO TRANSACTION\n' : ''}-- +goose Up\n${wrapGoose(p)}`;
    case 'dbmate':
      return `-- migrate:up${p.outside ? ' transaction:false' : ''}\n${p.text}\n-- migrate:down\n`;
    case 'sqlx':
      return `${p.outside ? '-- no-transaction\n' : ''}${p.text}`;
    default:
      return p.text;
  }
}

/** The new files' paths for `count` parts after `file`, in the tool's naming. */
function newNames(format: MigrationFormat, file: string, count: number): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const out: string[] = [];
  for (let n = 1; n <= count; n++) {
    const tag = `part${n}`;
    switch (format) {
      case 'prisma': {
        const m = /^(\d+)_(.*)$/.exec(path.basename(dir))!;
        out.push(path.join(path.dirname(dir), `${bump(m[1]!, n)}_${m[2]}_${tag}`, base));
        break;
      }
      case 'flyway': {
        const m = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/.exec(base)!;
        out.push(path.join(dir, `V${m[1]}.${n}__${m[2]}_${tag}.sql`));
        break;
      }
      default: {
        const m = /^(\d+)_(.*?)((?:\.up)?\.sql)$/.exec(base)!;
        out.push(path.join(dir, `${bump(m[1]!, n)}_${m[2]}_${tag}${m[3]}`));
      }
    }
  }
  return out;
}

/** version + n, zero-padded to the version's width */
const bump = (version: string, n: number) => (BigInt(version) + BigInt(n)).toString().padStart(version.length, '0');

/**
 * Number versions: when the next migration's version leaves no room for `count` more after this
 * one, move every later migration up by `count` (from the last, so no name collides).
 */
async function makeRoom(format: MigrationFormat, file: string, count: number, moved: Map<string, string>): Promise<void> {
  if (format === 'flyway') return;
  // Prisma: the migration is its folder, numbered like the files of the others
  const own = format === 'prisma' ? path.dirname(file) : file;
  const dir = path.dirname(own);
  const version = /^(\d+)_/.exec(path.basename(own))?.[1];
  if (!version) return;
  const v = BigInt(version);
  const later = (await fs.readdir(dir))
    .map((name) => ({ name, m: /^(\d+)(_.*)$/.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null && BigInt(x.m[1]!) > v)
    .sort((a, b) => (BigInt(b.m[1]!) > BigInt(a.m[1]!) ? 1 : -1));
  // the later migrations, last first: the next one is at the end
  const next = later.length ? BigInt(later.at(-1)!.m[1]!) : null;
  if (next === null || next - v > BigInt(count)) return;
  for (const x of later) {
    const to = path.join(dir, `${bump(x.m[1]!, count)}${x.m[2]}`);
    await fs.rename(path.join(dir, x.name), to);
    moved.set(path.join(dir, x.name), to);
    // Prisma: the rewrites name the folder's migration.sql
    if (format === 'prisma') moved.set(path.join(dir, x.name, 'migration.sql'), path.join(to, 'migration.sql'));
  }
}
