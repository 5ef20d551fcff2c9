/**
 * Migration versions, compared the way the tools compare them: dot-separated numbers, each part
 * numerically ('2' < '10', '1.2' < '1.10', '001' = '1', '1.0' = '1').
 */

/** digits, optionally separated by dots or underscores (Flyway writes 2_1 for 2.1) */
const VERSION = /^\d+(?:[._]\d+)*$/;

export function isVersion(text: string): boolean {
  return VERSION.test(text);
}

/** Flyway's underscore separators as dots: '2_1' → '2.1'; other versions unchanged. */
export function normaliseVersion(text: string): string {
  return text.replaceAll('_', '.');
}

function parts(version: string): bigint[] {
  return normaliseVersion(version)
    .split('.')
    .map((part) => BigInt(part));
}

/** Negative when a < b, 0 when equal, positive when a > b. Both must satisfy `isVersion`. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** One key for all spellings of a version ('001', '1', '1.0' → '1'), to group and look up by. */
export function versionKey(version: string): string {
  const p = parts(version);
  while (p.length > 1 && p.at(-1) === 0n) p.pop();
  return p.join('.');
}
