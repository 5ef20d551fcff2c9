/**
 * node-pg-migrate SQL migrations: `<timestamp>_<name>.sql`, an `-- Up Migration` section and an
 * optional `-- Down Migration` section, found the way node-pg-migrate's sqlMigration.ts finds them:
 * the first match of `^\s*--[\s-]*up\s+migration` (case-insensitive, any line) starts the up
 * section, which runs to the down marker when that comes later, else to the end of the file; the
 * down section likewise. Without an up marker the whole file is the up script (down marker and all).
 */

import type { ScriptSource } from './types.ts';

const marker = (direction: 'up' | 'down') => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
const UP = marker('up');
const DOWN = marker('down');

/** true when the file has node-pg-migrate's `-- Up Migration` line */
export function hasNodePgMigrateMarker(text: string): boolean {
  return UP.test(text);
}

/** newlines before `offset`: the lines of the file before a section starting there */
function linesBefore(text: string, offset: number): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

export interface NodePgMigrateFile {
  up: ScriptSource;
  down?: ScriptSource;
}

/** The up and down scripts of a node-pg-migrate SQL file (`file` is its path, for statements and errors). */
export function parseNodePgMigrate(text: string, file: string): NodePgMigrateFile {
  const upStart = text.search(UP);
  const downStart = text.search(DOWN);
  const section = (start: number, end: number | undefined): ScriptSource => ({
    file,
    text: text.slice(start, end),
    lineOffset: linesBefore(text, start),
    inTransaction: true,
  });
  const up = upStart >= 0 ? section(upStart, downStart < upStart ? undefined : downStart) : section(0, undefined);
  if (downStart < 0) return { up };
  return { up, down: section(downStart, upStart < downStart ? undefined : upStart) };
}

/**
 * The timestamp node-pg-migrate orders by: the number before the first `_` — 13 digits are epoch
 * milliseconds (the default `timestamp` file names), 17 digits a UTC time `YYYYMMDDhhmmssSSS` (the
 * `utc` file names) converted to milliseconds, anything else read as a number.
 */
export function nodePgMigrateTimestamp(fileName: string): number {
  const prefix = fileName.split('_')[0] ?? '';
  if (/^\d{17}$/.test(prefix)) {
    const at = (from: number, to: number) => prefix.slice(from, to);
    return new Date(`${at(0, 4)}-${at(4, 6)}-${at(6, 8)}T${at(8, 10)}:${at(10, 12)}:${at(12, 14)}.${at(14, 17)}Z`).valueOf();
  }
  return Number(prefix) || 0;
}

/** node-pg-migrate's runner order of two migration names (file names without extension): timestamp, then name. */
export function compareNodePgMigrateNames(a: string, b: string): number {
  return nodePgMigrateTimestamp(a) - nodePgMigrateTimestamp(b) || a.localeCompare(b);
}
