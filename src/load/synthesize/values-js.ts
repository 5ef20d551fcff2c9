import { hash } from 'node:crypto';
import type { TypeInfo } from './types.ts';
import { arrayLength, BIG, domainSize, textLength, type ValueContext } from './values.ts';

/**
 * The same values as values.ts's SQL, made in the client: `valueJs(type, ctx, max)` is a function
 * of the index giving the COPY text of exactly what `valueSql(type, idx, ctx)` gives the server, for
 * every index in [0, max]; null for a type (or a range of indexes) it does not make, whose table
 * is then made by the server as before. test/synthesize-client.test.ts compares both, value by
 * value, on a real server.
 *
 * Rows made here go straight into COPY FROM STDIN (as pgbench -i makes its rows): no second
 * backend evaluating SQL per column per row (docs/synthesis.md, "Speed").
 */
export type ValueJs = (idx: number) => string;

/** Above this, a JS number no longer holds every integer: such expressions stay in SQL. */
export const SAFE = Number.MAX_SAFE_INTEGER;

export function valueJs(type: TypeInfo, ctx: ValueContext, max: number): ValueJs | null {
  // a domain's value is its base type's (the server checks it as the COPY reads it)
  const base = baseType(type);
  if (base.kind === 'enum') {
    if (!(max >= 0 && max < base.labels.length)) return null;
    const labels = base.labels.map(copyText);
    return (i) => labels[i]!;
  }
  const raw = textJs(base, ctx, max);
  if (!raw) return null;
  // bytea's \x, and the quoted parts of arrays, ranges and records, hold backslashes
  return ESCAPED.has(base.kind) ? (i) => copyText(raw(i)) : raw;
}

/** The kinds whose text can hold what COPY escapes (every other kind's text never does). */
const ESCAPED = new Set<TypeInfo['kind']>(['bytea', 'array', 'range', 'multirange', 'composite']);

const baseType = (t: TypeInfo): TypeInfo => (t.kind === 'domain' ? baseType(t.base) : t);

/** The value's text as the server reads it (not yet escaped for COPY). */
function textJs(type: TypeInfo, ctx: ValueContext, max: number): ValueJs | null {
  if (!(max >= 0 && max < 2 ** 45)) return null;
  switch (type.kind) {
    case 'int':
      return (i) => String(1 + i);
    case 'numeric': {
      if (type.precision === null) {
        // floor(u·100)::numeric / 100 has the division's 20 digits of scale, and so has the sum
        const u = uniformJs(ctx);
        return (i) => `${1 + i}.${String(Math.floor(u(i) * 100)).padStart(2, '0')}000000000000000000`;
      }
      const whole = type.precision - type.scale;
      const s = type.scale;
      const unit = 10 ** s;
      if (s === 0) return (i) => String(1 + i);
      if (whole < 1) return (i) => `${Math.floor((1 + i) / unit)}.${String((1 + i) % unit).padStart(s, '0')}`;
      const u = uniformJs(ctx);
      return (i) => `${1 + i}.${String(Math.floor(u(i) * unit)).padStart(s, '0')}`;
    }
    case 'float': {
      const u = uniformJs(ctx);
      // the double the server computes, as text that reads back as that double (or its float4)
      return type.sql === 'real' ? (i) => String(Math.fround(1 + i + u(i) * 0.5)) : (i) => String(1 + i + u(i) * 0.5);
    }
    case 'bool':
      return (i) => (i % 2 === 1 ? 't' : 'f');
    case 'text': {
      if (type.fixed) return (i) => String(i);
      const want = Math.min(textLength(ctx.width), type.maxLength ?? Infinity);
      const h = hexJs(ctx);
      return (i) => {
        const token = String(i);
        const length = Math.max(want, token.length);
        return rpad(`${token}-`, length, length > token.length + 1 ? h(i) : '');
      };
    }
    case 'char1':
      return (i) => String.fromCharCode(65 + (i % 26));
    case 'date':
      // years past 9999 are written differently: left to the server
      if (max > 2_900_000) return null;
      return (i) => isoDate(DAY_2000 + i * 86_400_000);
    case 'timestamp': {
      if (max > 2.5e11) return null;
      const suffix = zoneSuffix(type.sql);
      // the day's date once per day, the time of day from two-digit strings
      let day = -1;
      let date = '';
      return (i) => {
        const d = Math.floor(i / 86_400);
        if (d !== day) {
          day = d;
          date = isoDate(SECOND_2020 + d * 86_400_000);
        }
        const s = i - d * 86_400;
        const m = Math.floor(s / 60);
        return `${date} ${TWO[Math.floor(m / 60)]}:${TWO[m % 60]}:${TWO[s % 60]}${suffix}`;
      };
    }
    case 'uuid': {
      const h = hexJs(ctx);
      return (i) => h(i).slice(0, 16) + i.toString(16).padStart(16, '0');
    }
    case 'json': {
      const pad = Math.max(0, textLength(ctx.width) - 24);
      const h = hexJs(ctx);
      // json keeps its text as json_build_object writes it; jsonb reads any spelling
      return (i) => `{"id" : ${i}, "v" : "${pad > 0 ? rpad('', pad, h(i)) : ''}"}`;
    }
    case 'enum':
      return max < type.labels.length ? (i) => type.labels[i]! : null;
    case 'time': {
      // time '00:00' + i ms wraps at midnight; a time with time zone takes the session's (UTC)
      const suffix = zoneSuffix(type.sql);
      return (i) => `${new Date(i % 86_400_000).toISOString().slice(11, 23)}${suffix}`;
    }
    case 'interval':
      // i · interval '1 second' is computed in doubles: exact while i · 10^6 is
      return max < 9e9 ? (i) => `${i} seconds` : null;
    case 'bytea': {
      const h = hexJs(ctx);
      const pad = 2 * Math.max(0, textLength(ctx.width) - 8);
      return (i) => `\\x${i.toString(16).padStart(16, '0')}${rpad('', pad, h(i))}`;
    }
    case 'inet': {
      // '1.0.0.0'::inet + i: past 255.255.255.255 the server's error is the server's to give
      if (max > 2 ** 32 - 1 - 2 ** 24) return null;
      return (i) => {
        const n = 2 ** 24 + i;
        return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      };
    }
    case 'macaddr': {
      const digits = type.hexDigits;
      return max < 16 ** digits ? (i) => i.toString(16).padStart(digits, '0') : null;
    }
    case 'tsvector':
      return (i) => `w${i} x${i % 97}`;
    case 'tsquery':
      return (i) => `w${i}`;
    case 'xml':
      return (i) => `<v>${i}</v>`;
    case 'pg_lsn':
      return (i) => `${i.toString(16)}/0`;
    case 'oid':
      return type.sql === 'oid' ? (i) => String(1 + i) : null;
    case 'money':
      // (1 + i)::numeric::money: whole units, which money's input reads in any locale
      return (i) => String(1 + i);
    case 'bit': {
      // i::int8::bit(n) keeps the rightmost n of 64 bits, or fills zeros on the left past 64
      const n = type.length;
      const bits64 = (i: number) => i.toString(2).padStart(64, '0');
      if (n === null) return bits64;
      return n <= 64 ? (i) => bits64(i).slice(64 - n) : (i) => i.toString(2).padStart(n, '0');
    }
    case 'array':
      return arrayJs(type, ctx, max);
    case 'range': {
      // type(value(2i), value(2i + 1)): the default bounds [)
      const bound = textJs(type.subtype, { ...ctx, width: null }, 2 * max + 1);
      return bound && ((i) => `[${quoted(bound(2 * i), RANGE_SPECIAL)},${quoted(bound(2 * i + 1), RANGE_SPECIAL)})`);
    }
    case 'multirange': {
      const range = textJs(type.range, { ...ctx, width: null }, max);
      return range && ((i) => `{${range(i)}}`);
    }
    case 'composite': {
      // ROW(field k made with salt + k + 1, all of the same index)
      const fields = type.fields.map((f, k) => textJs(f.type, { ...ctx, width: null, salt: ctx.salt + k + 1 }, max));
      if (fields.some((f) => f === null)) return null;
      return (i) => `(${fields.map((f) => quoted(f!(i), RECORD_SPECIAL)).join(',')})`;
    }
    case 'domain':
      return textJs(type.base, ctx, max);
    default:
      return null;
  }
}

/** values.ts's array: n elements, element k of index i made from (i / d^k) % d, or i + k when d is unbounded. */
function arrayJs(type: Extract<TypeInfo, { kind: 'array' }>, ctx: ValueContext, max: number): ValueJs | null {
  const n = arrayLength(type, ctx.width);
  const d = domainSize(type.element);
  const bounded = d < BIG;
  const inner: ValueContext = { ...ctx, width: null };
  // an element's index is at most the array's: (i / d^k) % d ≤ i
  const element = textJs(type.element, inner, bounded ? Math.min(d - 1, max) : max + n);
  if (!element) return null;
  const divisors = Array.from({ length: n }, (_, k) => Math.min(BIG, d ** k));
  return (i) => {
    let out = '{';
    for (let k = 0; k < n; k++) {
      const idx = bounded ? Math.floor(i / divisors[k]!) % d : i + k;
      out += (k > 0 ? ',' : '') + arrayElement(element(idx));
    }
    return `${out}}`;
  };
}

/** An element as array_out writes it: quoted when empty, NULL, or holding a delimiter, brace, quote, backslash or space. */
const arrayElement = (s: string) => (/^null$/i.test(s) ? `"${s}"` : quoted(s, ARRAY_SPECIAL));

/** Characters that make array_out, range_out and record_out quote a value. */
const ARRAY_SPECIAL = /[{}",\\\s]/;
const RANGE_SPECIAL = /["\\()[\],\s]/;
const RECORD_SPECIAL = /["\\(),\s]/;

/** A value inside an array, range or record literal: as it is, or quoted with " and \ escaped. */
function quoted(s: string, special: RegExp): string {
  if (s !== '' && !special.test(s)) return s;
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** PostgreSQL's rpad: cut to `length`, or filled with `fill` repeated. */
function rpad(s: string, length: number, fill: string): string {
  if (s.length >= length) return s.slice(0, length);
  if (fill.length === 0) return s;
  return s + fill.repeat(Math.ceil((length - s.length) / fill.length)).slice(0, length - s.length);
}

/** md5(seed::text || ':salt:' || idx::text), as values.ts's hex. */
function hexJs(ctx: ValueContext): (i: number) => string {
  const prefix = `${ctx.seed}:${ctx.salt}:`;
  return (i) => hash('md5', prefix + String(i));
}

const DAY_2000 = Date.UTC(2000, 0, 1);
const SECOND_2020 = Date.UTC(2020, 0, 1);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** '+00' for a type with time zone (the generating session's zone is UTC), '' otherwise. */
const zoneSuffix = (sql: string) => (/with time zone/.test(sql) || sql === 'timestamptz' || sql === 'timetz' ? '+00' : '');
const TWO = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/** A value as COPY text: backslash, tab, newline and carriage return escaped. */
export const copyText = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));

/**
 * values.ts's `uniform`: ((hashint8extended(idx * 64 + salt % 64, seed + salt) & (2^52 − 1)) / 2^52,
 * PostgreSQL's hashint8extended (src/backend/access/hash/hashfunc.c) over hash_uint32_extended
 * (src/common/hashfn.c, Bob Jenkins's lookup3 mix and final) in 32-bit arithmetic.
 */
export function uniformJs(ctx: Pick<ValueContext, 'seed' | 'salt'>): (idx: number) => number {
  const seed = BigInt.asUintN(64, BigInt(ctx.seed) + BigInt(ctx.salt));
  const seedHi = Number(seed >> 32n) >>> 0;
  const seedLo = Number(seed & 0xffffffffn) >>> 0;
  const s = ctx.salt % 64;
  return (idx) => {
    const val = idx * 64 + s; // < 2^51: exact
    const hi = Math.floor(val / 4294967296) >>> 0;
    const lo = (val >>> 0) ^ hi; // val ≥ 0: lohalf ^= hihalf
    const [b, c] = hashUint32Extended(lo >>> 0, seedHi, seedLo, seed !== 0n);
    return ((b & 0xfffff) * 4294967296 + c) / 4503599627370496;
  };
}

const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** lookup3's mix: six steps, each `x -= z; x ^= rot(z, r); z += y` on (a, b, c) turned one place. */
const MIX = [4, 6, 8, 16, 19, 4];
/** lookup3's final: seven steps, each `x ^= y; x -= rot(y, r)` on (c, b), (a, c), (b, a), … */
const FINAL = [14, 11, 25, 16, 4, 14, 24];
/** a, b, c: 32-bit arithmetic wraps on every store */
const abc = new Uint32Array(3);

/** hash_uint32_extended(k, seed): the high and low 32 bits of the result. */
function hashUint32Extended(k: number, seedHi: number, seedLo: number, seeded: boolean): [number, number] {
  abc.fill(0x9e3779b9 + 4 + 3923095);
  if (seeded) {
    abc[0]! += seedHi;
    abc[1]! += seedLo;
    MIX.forEach((r, i) => {
      const [x, y, z] = [i % 3, (i + 1) % 3, (i + 2) % 3];
      abc[x]! -= abc[z]!;
      abc[x]! ^= rot(abc[z]!, r);
      abc[z]! += abc[y]!;
    });
  }
  abc[0]! += k;
  FINAL.forEach((r, i) => {
    const [x, y] = [(2 + i) % 3, (1 + i) % 3];
    abc[x]! ^= abc[y]!;
    abc[x]! -= rot(abc[y]!, r);
  });
  return [abc[1]!, abc[2]!];
}
