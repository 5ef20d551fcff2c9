import type { TypeInfo } from './types.ts';

/**
 * A value of a type as a pure SQL function of an index: `valueSql(type, idx)` is an expression
 * that is injective in `idx` for idx in [0, domainSize(type)) (different indexes, different values),
 * so a column made from `d` different indexes holds exactly `d` distinct values, and a unique
 * column made from the row number holds no duplicate. Numbers, dates and times grow with the
 * index (a correlated column stays in order). Everything else is a hash of (seed, salt, index):
 * the same seed gives the same values on any server.
 */
export interface ValueContext {
  /** SQL integer literal: the seed */
  seed: string;
  /** a small number per column, so two columns of the same type differ */
  salt: number;
  /** pg_stats.avg_width in bytes, for variable-width types (null: a small default) */
  width: number | null;
}

export const BIG = 2 ** 52;

/** How many different values valueSql can make for the type (the cap of a column's distinct count). */
export function domainSize(type: TypeInfo): number {
  switch (type.kind) {
    case 'int':
      return type.bytes === 2 ? 32_767 : type.bytes === 4 ? 2_147_483_647 : BIG;
    case 'numeric': {
      if (type.precision === null) return BIG;
      const whole = type.precision - type.scale;
      return whole >= 1 ? Math.min(BIG, 10 ** whole - 1) : Math.max(0, 10 ** type.scale - 1);
    }
    case 'float':
      return type.sql === 'real' ? 2 ** 24 : BIG;
    case 'money':
      return 2 ** 50;
    case 'bool':
      return 2;
    case 'text':
      return type.maxLength === null ? BIG : Math.min(BIG, 10 ** type.maxLength - 1);
    case 'char1':
      return 26;
    case 'date':
      return 2_000_000_000;
    case 'timestamp':
      return 1e12;
    case 'time':
      return 86_400_000;
    case 'interval':
    case 'uuid':
    case 'json':
    case 'bytea':
    case 'geometric':
    case 'tsvector':
    case 'tsquery':
    case 'xml':
      return BIG;
    case 'enum':
      return type.labels.length;
    case 'inet':
      return 4_000_000_000;
    case 'macaddr':
      return 2 ** 47;
    case 'bit':
      return type.length === null ? 2 ** 62 : 2 ** Math.min(type.length, 52);
    case 'pg_lsn':
      return 2 ** 32;
    case 'oid':
      return 4_000_000_000;
    case 'array': {
      const d = domainSize(type.element);
      return d === 0 ? 0 : Math.min(BIG, d ** arrayLength(type, null));
    }
    case 'range':
      return Math.floor(domainSize(type.subtype) / 2);
    case 'multirange':
      return domainSize(type.range);
    case 'composite':
      return Math.max(0, ...type.fields.map((f) => domainSize(f.type)));
    case 'domain':
      return domainSize(type.base);
    case 'unsupported':
      return 0;
  }
}

/** What cannot be generated, by its SQL name (null when everything inside it can). */
export function unsupportedPart(type: TypeInfo): string | null {
  switch (type.kind) {
    case 'unsupported':
      return type.sql;
    case 'array':
      return unsupportedPart(type.element);
    case 'range':
      return ['int', 'numeric', 'float', 'date', 'timestamp'].includes(base(type.subtype).kind) ? null : `${type.sql} (a range of ${type.subtype.sql})`;
    case 'multirange':
      return unsupportedPart(type.range);
    case 'composite':
      return type.fields.map((f) => unsupportedPart(f.type)).find((x) => x !== null) ?? null;
    case 'domain':
      return unsupportedPart(type.base);
    default:
      return null;
  }
}

const base = (t: TypeInfo): TypeInfo => (t.kind === 'domain' ? base(t.base) : t);

/** A uniform number in [0, 1) from (seed, salt, idx): PostgreSQL's stable 64-bit hash. */
export function uniform(idx: string, ctx: Pick<ValueContext, 'seed' | 'salt'>): string {
  return `((hashint8extended((${idx})::int8 * 64 + ${ctx.salt % 64}, ${ctx.seed}::int8 + ${ctx.salt}) & 4503599627370495)::float8 / 4503599627370496)`;
}

/** 32 hex characters from (seed, salt, idx). */
const hex = (idx: string, ctx: ValueContext) => `md5(${ctx.seed}::text || ':${ctx.salt}:' || (${idx})::text)`;

/** Characters a string of avg_width bytes holds (a short varlena has a 1-byte header). */
export function textLength(width: number | null): number {
  if (width === null) return 12;
  return Math.max(1, Math.round(width <= 127 ? width - 1 : width - 4));
}

export function arrayLength(type: Extract<TypeInfo, { kind: 'array' }>, width: number | null): number {
  if (width === null) return 3;
  const el = base(type.element);
  const each = el.kind === 'int' ? el.bytes : el.kind === 'text' ? 10 : 8;
  return Math.max(1, Math.min(64, Math.round((width - 24) / each)));
}

/** The expression for index `idx` (an int8 SQL expression), not yet cast to a domain at top level. */
export function valueSql(type: TypeInfo, idx: string, ctx: ValueContext): string {
  const i = `(${idx})`;
  switch (type.kind) {
    case 'int':
      return `(1 + ${i})::${type.sql}`;
    case 'numeric': {
      if (type.precision === null) return `((1 + ${i})::numeric + floor(${uniform(idx, ctx)} * 100)::numeric / 100)`;
      const whole = type.precision - type.scale;
      const unit = 10 ** type.scale;
      if (whole < 1) return `((1 + ${i})::numeric / ${unit})::${type.sql}`;
      return `((1 + ${i})::numeric + floor(${uniform(idx, ctx)} * ${unit})::numeric / ${unit})::${type.sql}`;
    }
    case 'float':
      return `((1 + ${i})::float8 + ${uniform(idx, ctx)} * 0.5)::${type.sql}`;
    case 'money':
      return `(1 + ${i})::numeric::money`;
    case 'bool':
      return `(${i} % 2 = 1)`;
    case 'text': {
      const token = `(${i})::text`;
      if (type.fixed) return `${token}::${type.sql}`;
      const want = Math.min(textLength(ctx.width), type.maxLength ?? Infinity);
      const filled = `rpad(${token} || '-', greatest(${want}, length(${token})), ${hex(idx, ctx)})`;
      return type.maxLength !== null || type.sql !== 'text' ? `(${filled})::${type.sql}` : filled;
    }
    case 'char1':
      return `chr(65 + (${i} % 26)::int)::"char"`;
    case 'date':
      return `(date '2000-01-01' + ${i}::int)`;
    case 'timestamp':
      return `(timestamptz '2020-01-01 00:00:00+00' + ${i} * interval '1 second')::${type.sql}`;
    case 'time':
      return `(time '00:00' + ${i} * interval '1 millisecond')::${type.sql}`;
    case 'interval':
      return `(${i} * interval '1 second')`;
    case 'uuid':
      return `(substr(${hex(idx, ctx)}, 1, 16) || lpad(to_hex(${i}::int8), 16, '0'))::uuid`;
    case 'json': {
      const pad = Math.max(0, textLength(ctx.width) - 24);
      const build = type.sql === 'jsonb' ? 'jsonb_build_object' : 'json_build_object';
      return `${build}('id', ${i}, 'v', rpad('', ${pad}, ${hex(idx, ctx)}))`;
    }
    case 'bytea': {
      const pad = Math.max(0, textLength(ctx.width) - 8);
      return `(int8send(${i}::int8) || decode(rpad('', ${2 * pad}, ${hex(idx, ctx)}), 'hex'))`;
    }
    case 'enum':
      return `(ARRAY[${type.labels.map(literal).join(', ')}]::${type.sql}[])[1 + ${i}::int]`;
    case 'inet':
      return `('1.0.0.0'::inet + ${i}::int8)::${type.sql}`;
    case 'macaddr':
      return `lpad(to_hex(${i}::int8), ${type.hexDigits}, '0')::${type.sql}`;
    case 'bit':
      return type.length === null ? `${i}::int8::bit(64)::varbit` : `${i}::int8::${type.sql}`;
    case 'geometric': {
      const x = `(${i})::float8`;
      switch (type.shape) {
        case 'point':
          return `point(${x}, ${uniform(idx, ctx)})`;
        case 'lseg':
          return `lseg(point(${x}, 0), point(${x}, 1))`;
        case 'box':
          return `box(point(${x}, 0), point(${x} + 1, 1))`;
        case 'circle':
          return `circle(point(${x}, 0), 1)`;
        case 'line':
          return `line(point(${x}, 0), point(${x}, 1))`;
        case 'path':
          return `path(polygon(box(point(${x}, 0), point(${x} + 1, 1))))`;
        case 'polygon':
          return `polygon(box(point(${x}, 0), point(${x} + 1, 1)))`;
      }
      break;
    }
    case 'tsvector':
      return `('w' || ${i}::text || ' x' || (${i} % 97)::text)::tsvector`;
    case 'tsquery':
      return `('w' || ${i}::text)::tsquery`;
    case 'xml':
      return `xmlelement(name v, ${i}::text)`;
    case 'pg_lsn':
      return `(to_hex(${i}::int8) || '/0')::pg_lsn`;
    case 'oid':
      return `(1 + ${i})::int8::oid::${type.sql}`;
    case 'array': {
      const n = arrayLength(type, ctx.width);
      const d = domainSize(type.element);
      const inner: ValueContext = { ...ctx, width: null };
      const elements = Array.from({ length: n }, (_, k) =>
        d < BIG ? valueSql(type.element, `(${i} / ${Math.min(BIG, d ** k)}::int8) % ${d}`, inner) : valueSql(type.element, `${i} + ${k}`, inner),
      );
      return `ARRAY[${elements.join(', ')}]::${type.sql}`;
    }
    case 'range': {
      const inner: ValueContext = { ...ctx, width: null };
      return `${type.sql}(${valueSql(type.subtype, `${i} * 2`, inner)}, ${valueSql(type.subtype, `${i} * 2 + 1`, inner)})`;
    }
    case 'multirange':
      return `${type.sql}(${valueSql(type.range, idx, { ...ctx, width: null })})`;
    case 'composite': {
      const inner: ValueContext = { ...ctx, width: null };
      return `ROW(${type.fields.map((f, k) => valueSql(f.type, idx, { ...inner, salt: ctx.salt + k + 1 })).join(', ')})::${type.sql}`;
    }
    case 'domain':
      // nested domains are cast here; the top-level cast is the caller's (it may check first)
      return `(${valueSql(type.base, idx, ctx)})`;
    case 'unsupported':
      break;
  }
  throw new Error(`cannot generate ${type.sql}`);
}

/** valueSql cast to its domain when it is one: the value as stored. */
export function castValueSql(type: TypeInfo, idx: string, ctx: ValueContext): string {
  const v = valueSql(type, idx, ctx);
  return type.kind === 'domain' ? `(${v})::${type.sql}` : v;
}

export const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
