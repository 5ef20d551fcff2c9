/**
 * dbmate files: one file per version with a `-- migrate:up` section and an optional
 * `-- migrate:down` section after it. A marker may carry options: `-- migrate:up transaction:false`.
 */

/** A section of a dbmate file: its text and where it starts in the file. */
export interface DbmateSection {
  text: string;
  /** lines of the file before the section's text (add to a line within the section) */
  lineOffset: number;
  inTransaction: boolean;
}

export interface DbmateFile {
  /** whatever precedes the up marker: dbmate allows only comments there */
  preamble: DbmateSection;
  up: DbmateSection;
  down?: DbmateSection;
}

/** the marker, as dbmate matches it: at the start of a line, `--`, optional blanks, `migrate:up|down` */
const MARKER = /^--\s*migrate:(up|down)(?:\s+(.*))?\s*$/;

export function hasDbmateMarker(text: string): boolean {
  return text.split('\n').some((line) => MARKER.exec(line.trimEnd())?.[1] === 'up');
}

interface Marker {
  direction: 'up' | 'down';
  /** 0-based line of the marker */
  line: number;
  options: Record<string, string>;
}

function markers(lines: string[]): Marker[] {
  const found: Marker[] = [];
  lines.forEach((line, index) => {
    const m = MARKER.exec(line.trimEnd());
    if (!m) return;
    const options: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+):(\w+)/g)) {
      if (key !== undefined && value !== undefined) options[key] = value;
    }
    found.push({ direction: m[1] as 'up' | 'down', line: index, options });
  });
  return found;
}

/** The sections of a dbmate file, or a reason it is not one (for the caller to report with the file name). */
export function parseDbmate(text: string): DbmateFile | { problem: string } {
  const lines = text.split('\n');
  const found = markers(lines);
  const ups = found.filter((m) => m.direction === 'up');
  const downs = found.filter((m) => m.direction === 'down');
  const up = ups[0];
  if (!up) return { problem: 'has no "-- migrate:up" line' };
  if (ups.length > 1) return { problem: `has more than one "-- migrate:up" line (lines ${ups.map((m) => m.line + 1).join(', ')})` };
  if (downs.length > 1) return { problem: `has more than one "-- migrate:down" line (lines ${downs.map((m) => m.line + 1).join(', ')})` };
  const down = downs[0];
  if (down && down.line < up.line) return { problem: `has "-- migrate:down" (line ${down.line + 1}) before "-- migrate:up" (line ${up.line + 1})` };
  const section = (marker: Marker, endLine: number): DbmateSection => ({
    text: lines.slice(marker.line + 1, endLine).join('\n'),
    lineOffset: marker.line + 1,
    inTransaction: marker.options['transaction'] !== 'false',
  });
  return {
    preamble: { text: lines.slice(0, up.line).join('\n'), lineOffset: 0, inTransaction: true },
    up: section(up, down ? down.line : lines.length),
    ...(down ? { down: section(down, lines.length) } : {}),
  };
}
