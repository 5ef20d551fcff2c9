/**
 * Writes a long migration history in a tool's real layout, mixing what real histories hold:
 * tables, ALTERs, indexes (some CONCURRENTLY, outside a transaction as the tool marks it), PL/pgSQL
 * functions with dollar quoting and nested quotes, triggers, DO blocks, CREATE EXTENSION of ltree,
 * pg_trgm and pgcrypto, comments with semicolons, a view over the tool's own tracking table, and —
 * where the tool runs psql (sqitch) — COPY … FROM stdin rows and a `\set ON_ERROR_STOP 1`.
 *
 *   npx tsx scripts/bench/history-gen.ts diesel 342 /tmp/history
 *   npx tsx scripts/bench/history-gen.ts sqitch 320 /tmp/history
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type HistoryTool = 'diesel' | 'sqitch';

interface Step {
  name: string;
  up: string;
  down: string;
  /** runs outside a transaction (CREATE INDEX CONCURRENTLY) */
  noTransaction?: boolean;
}

/** the tables the history spreads its changes over */
const TABLES = 40;

function step(i: number, tool: HistoryTool): Step {
  const t = `t${i % TABLES}`;
  const psql = tool === 'sqitch';
  const tracking = tool === 'diesel' ? '__diesel_schema_migrations' : 'sqitch.changes';
  if (i === 0) {
    return {
      name: 'extensions',
      up: `-- contrib extensions the history relies on; shipped with the server\nCREATE EXTENSION IF NOT EXISTS ltree;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n`,
      down: 'DROP EXTENSION pgcrypto;\nDROP EXTENSION pg_trgm;\nDROP EXTENSION ltree;\n',
    };
  }
  if (i === 1) {
    return {
      name: 'migration_log_view',
      up: `-- the history reads the tool's own table; it must exist on an empty database too\nCREATE VIEW applied_migrations AS SELECT count(*) AS n FROM ${tracking};\n`,
      down: 'DROP VIEW applied_migrations;\n',
    };
  }
  if (i < TABLES + 2) {
    const n = i - 2;
    return {
      name: `create_t${n}`,
      up: `-- table ${n}; created; with a comment; holding semicolons\nCREATE TABLE t${n} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  key uuid NOT NULL DEFAULT gen_random_uuid(),\n  name text NOT NULL DEFAULT '',\n  path ltree,\n  updated_at timestamptz NOT NULL DEFAULT now()\n);\n`,
      down: `DROP TABLE t${n};\n`,
    };
  }
  switch (i % 8) {
    case 0:
      return {
        name: `${t}_touch_fn_${i}`,
        up: `CREATE OR REPLACE FUNCTION ${t}_touch_${i}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  -- a comment inside; with a semicolon\n  NEW.updated_at := now();\n  NEW.name := coalesce(nullif(NEW.name, ''), format('it''s %s; "quoted"', NEW.id));\n  RETURN NEW;\nEND;\n$fn$;\n\nCREATE TRIGGER ${t}_touch_${i} BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_touch_${i}();\n`,
        down: `DROP TRIGGER ${t}_touch_${i} ON ${t};\nDROP FUNCTION ${t}_touch_${i}();\n`,
      };
    case 1:
      return {
        name: `${t}_add_c${i}`,
        up: `ALTER TABLE ${t} ADD COLUMN c${i} integer;\nCOMMENT ON COLUMN ${t}.c${i} IS 'added by migration ${i}; nothing else';\n`,
        down: `ALTER TABLE ${t} DROP COLUMN c${i};\n`,
      };
    case 2:
      return {
        name: `${t}_do_${i}`,
        up: `DO $$\nDECLARE n int;\nBEGIN\n  SELECT count(*) INTO n FROM ${t};\n  IF n < 0 THEN\n    RAISE EXCEPTION 'impossible: % rows in %', n, '${t}';\n  END IF;\nEND\n$$;\n`,
        down: `SELECT 1;\n`,
      };
    case 3:
      return {
        name: `${t}_name_trgm_${i}`,
        up: `CREATE INDEX CONCURRENTLY ${t}_name_trgm_${i} ON ${t} USING gin (name gin_trgm_ops);\n`,
        down: `DROP INDEX CONCURRENTLY ${t}_name_trgm_${i};\n`,
        noTransaction: true,
      };
    case 4:
      return psql
        ? {
            name: `${t}_seed_${i}`,
            up: `\\set ON_ERROR_STOP 1\nBEGIN;\nCOPY ${t} (name, path) FROM stdin;\nrow ${i} a; b\ttop.a${i}\nO'Brien\ttop.b${i}\nno path\t\\N\n\\.\nCOMMIT;\n`,
            down: `DELETE FROM ${t} WHERE path <@ 'top';\n`,
          }
        : {
            name: `${t}_seed_${i}`,
            up: `INSERT INTO ${t} (name, path) VALUES ('row ${i} a; b', 'top.a${i}'), ('O''Brien', 'top.b${i}');\n`,
            down: `DELETE FROM ${t} WHERE path <@ 'top';\n`,
          };
    case 5:
      return {
        name: `${t}_path_idx_${i}`,
        up: `CREATE INDEX ${t}_path_idx_${i} ON ${t} USING gist (path);\n`,
        down: `DROP INDEX ${t}_path_idx_${i};\n`,
      };
    case 6:
      return {
        name: `${t}_check_${i}`,
        up: `ALTER TABLE ${t} ADD CONSTRAINT ${t}_name_len_${i} CHECK (length(name) < ${1000 + i}) NOT VALID;\nALTER TABLE ${t} VALIDATE CONSTRAINT ${t}_name_len_${i};\n`,
        down: `ALTER TABLE ${t} DROP CONSTRAINT ${t}_name_len_${i};\n`,
      };
    default:
      return {
        name: `${t}_view_${i}`,
        up: `CREATE OR REPLACE VIEW ${t}_recent_${i} AS\n  SELECT id, name, encode(digest(name, 'sha256'), 'hex') AS name_hash FROM ${t} WHERE updated_at > now() - interval '1 day';\n`,
        down: `DROP VIEW ${t}_recent_${i};\n`,
      };
  }
}

/** diesel's folder name for migration i: a timestamp a minute apart, YYYY-MM-DD-HHMMSS_name. */
function dieselName(i: number, name: string): string {
  const d = new Date(Date.UTC(2019, 0, 1) + i * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}_${name}`;
}

export function generateHistory(tool: HistoryTool, count: number, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (tool === 'diesel') {
    for (let i = 0; i < count; i++) {
      const s = step(i, tool);
      const folder = path.join(dir, dieselName(i, s.name));
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'up.sql'), s.up);
      writeFileSync(path.join(folder, 'down.sql'), s.down);
      if (s.noTransaction) writeFileSync(path.join(folder, 'metadata.toml'), 'run_in_transaction = false\n');
    }
    return;
  }
  for (const sub of ['deploy', 'revert', 'verify']) mkdirSync(path.join(dir, sub), { recursive: true });
  const plan = ['%syntax-version=1.0.0', '%project=history', ''];
  for (let i = 0; i < count; i++) {
    const s = step(i, tool);
    plan.push(`${s.name} 2020-01-01T00:00:00Z Gen Erator <gen@example.com> # step ${i}`);
    // sqitch's templates wrap a script in BEGIN; … COMMIT; one change in ten keeps that here, the
    // others rely on psql's autocommit (fewer statements to trace in a long test)
    const wrap = (sql: string) => (i % 10 !== 5 || s.noTransaction || sql.includes('BEGIN;') ? sql : `BEGIN;\n\n${sql}\nCOMMIT;\n`);
    writeFileSync(path.join(dir, 'deploy', `${s.name}.sql`), `-- Deploy history:${s.name} to pg\n\n${wrap(s.up)}`);
    writeFileSync(path.join(dir, 'revert', `${s.name}.sql`), `-- Revert history:${s.name} from pg\n\n${wrap(s.down)}`);
    // a verify script for every tenth change (many projects keep them for the changes that matter)
    if (i % 10 === 0)
      writeFileSync(
        path.join(dir, 'verify', `${s.name}.sql`),
        `-- Verify history:${s.name} on pg\n\nSELECT 1/count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'public';\n`,
      );
  }
  writeFileSync(path.join(dir, 'sqitch.plan'), plan.join('\n') + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [tool, count, dir] = process.argv.slice(2);
  if ((tool !== 'diesel' && tool !== 'sqitch') || !count || !dir) {
    console.error('usage: tsx scripts/bench/history-gen.ts diesel|sqitch <count> <dir>');
    process.exit(2);
  }
  generateHistory(tool, Number(count), dir);
}
