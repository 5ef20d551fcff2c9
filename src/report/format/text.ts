import path from 'node:path';
import { maskSecrets, stripRowData } from '../../core/mask.ts';
import type { SchemaDiff } from '../../schema/index.ts';

/**
 * How figures and text read in every rendering (and in budget and comparison messages). Pure
 * functions: no clock, no locale, no environment, so a saved report renders to the same bytes.
 */

/** 0.7 ms, 312 ms, 12.3 s, 4.2 min */
export function fmtMs(v: number): string {
  if (v >= 120_000) return `${(v / 60_000).toFixed(1)} min`;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1) return `${Math.round(v)} ms`;
  return `${v.toFixed(1)} ms`;
}

/** 185287 → 185,287 (no locale: the same bytes everywhere) */
export function fmtInt(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} kiB`;
  return `${n} B`;
}

/** +42 %, -10 %; a growth over 10× as ×N (×9,000, not +899900 %) */
export function fmtPct(p: number | null): string {
  if (p === null) return 'new';
  const ratio = 1 + p / 100;
  if (ratio > 10) return `×${ratio >= 100 ? fmtInt(ratio) : ratio.toFixed(0)}`;
  return `${p >= 0 ? '+' : ''}${Math.round(p)} %`;
}

/** Secrets masked and quoted row values cut out: every text a renderer shows goes through it. */
export const clean = (text: string): string => maskSecrets(stripRowData(text));

/** One line of SQL, cut to `max` characters. */
export function oneLine(sql: string, max = 80): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export const lockName = (mode: string): string => mode.replace(/Lock$/, '');

/** Where a statement is: file:line, or — in command mode, where statements come from no file — the command. */
export const fileLine = (file: string, line: number | null): string => (file ? `${file}${line !== null ? `:${line}` : ''}` : 'the migration command');
/**
 * A migration file as the reports name it: its base name, with its folder when the name alone says
 * no migration (one folder per migration: Prisma's `20250105120000_add_tag/migration.sql`, diesel's
 * `2019-02-26-002946_create_users/up.sql`). A base name without a digit names no migration.
 */
export function migrationFileName(file: string): string {
  const base = path.basename(file);
  const dir = path.basename(path.dirname(file));
  return /\d/.test(base) || !dir || dir === '.' || dir === path.sep ? base : `${dir}/${base}`;
}
export const baseLine = (file: string, line: number | null): string => (file ? fileLine(migrationFileName(file), line) : fileLine(file, line));

export function diffLines(d: SchemaDiff): string[] {
  const name = (key: string) => key.replace(/^[a-z_]+:/, '');
  return [
    ...d.added.map((o) => `+ ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.removed.map((o) => `- ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.changed.map((ch) => `~ ${ch.kind} ${name(ch.object)} ${ch.attribute}: ${JSON.stringify(ch.before)} → ${JSON.stringify(ch.after)}`),
  ];
}

export function diffCounts(d: SchemaDiff): string {
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`;
}
