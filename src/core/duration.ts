const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * '500ms', '0.5s', '2m', '1h' → milliseconds. A bare number is accepted only when it is 0 (a unit
 * keeps '3' from meaning seconds to one reader and milliseconds to another). Null when invalid.
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return value === 0 ? 0 : null;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h)\s*$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2]!]!;
}
