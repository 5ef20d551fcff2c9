/**
 * The format version in a pg_dump archive header ("PGDMP" then major, minor, rev bytes) and what
 * it says about the pg_dump that wrote it and the pg_restore that can read it. Pure functions.
 * Source: K_VERS_* in src/bin/pg_dump/pg_backup_archiver.h of each PostgreSQL release.
 */
export interface ArchiveVersion {
  major: number;
  minor: number;
  rev: number;
}

/**
 * The byte after intSize and offSize in the header (pg_backup.h ArchiveFormat). A custom archive
 * says 1; the toc.dat of a directory or tar archive says 3 (pg_dump 15 writes 3 for both).
 */
export const ARCHIVE_FORMAT = { custom: 1, tar: 3 } as const;

export interface ArchiveHeader {
  version: ArchiveVersion;
  /** ARCHIVE_FORMAT value */
  format: number;
}

/** First archive version each pg_dump major writes, newest first. */
const WRITTEN_BY: { version: [number, number]; pgDump: string }[] = [
  { version: [1, 16], pgDump: 'pg_dump 17 or later' },
  { version: [1, 15], pgDump: 'pg_dump 16' },
  { version: [1, 14], pgDump: 'pg_dump 12 to 15' },
  { version: [1, 13], pgDump: 'pg_dump 11 (or 9.3 to 10 of 2018 or later)' },
  { version: [1, 12], pgDump: 'pg_dump 9.0 to 10' },
];

/** The header at the start of a custom archive or of a directory/tar archive's toc.dat. */
export function parseArchiveHeader(head: Uint8Array): ArchiveHeader | undefined {
  if (head.length < 11 || String.fromCharCode(...head.subarray(0, 5)) !== 'PGDMP') return undefined;
  return { version: { major: head[5]!, minor: head[6]!, rev: head[7]! }, format: head[10]! };
}

export function formatArchiveVersion(v: ArchiveVersion): string {
  return v.rev ? `${v.major}.${v.minor}.${v.rev}` : `${v.major}.${v.minor}`;
}

function compare(v: ArchiveVersion, major: number, minor: number): number {
  return v.major !== major ? v.major - major : v.minor - minor;
}

/** e.g. "pg_dump 17 or later"; for a version beyond the known ones, says so. */
export function likelyWriter(v: ArchiveVersion): string {
  const newest = WRITTEN_BY[0]!;
  if (compare(v, ...newest.version) > 0) return 'a pg_dump newer than PostgreSQL 17 (a format this tool does not know yet)';
  const hit = WRITTEN_BY.find((w) => compare(v, ...w.version) >= 0);
  return hit?.pgDump ?? 'pg_dump 8.x or older';
}

/** Newest archive version a pg_restore major reads, when known. */
export function newestReadableBy(pgRestoreMajor: number): ArchiveVersion | undefined {
  if (pgRestoreMajor >= 17) return { major: 1, minor: 16, rev: 255 };
  if (pgRestoreMajor === 16) return { major: 1, minor: 15, rev: 255 };
  if (pgRestoreMajor >= 12) return { major: 1, minor: 14, rev: 255 };
  if (pgRestoreMajor === 11) return { major: 1, minor: 13, rev: 255 };
  return undefined;
}

/** The major of the client tools that read an archive version (for an install hint), when known. */
export function minimumReaderMajor(v: ArchiveVersion): number | undefined {
  if (compare(v, 1, 16) > 0) return undefined;
  if (compare(v, 1, 16) === 0) return 17;
  if (compare(v, 1, 15) === 0) return 16;
  return 12;
}
