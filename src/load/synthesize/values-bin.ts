import { hash } from 'node:crypto';
import type { TypeInfo } from './types.ts';
import { Md5Of } from './md5.ts';
import { textLength, type ValueContext } from './values.ts';
import { valueJs } from './values-js.ts';

/**
 * The same values as values-js.ts, written in COPY's binary format (each value its int32 length,
 * then the bytes the type's receive function reads), for the types where that is cheaper for
 * both sides: the server reads a uuid, a timestamp or an integer without parsing its text, and
 * the client writes them without making it. On the analytics fixture's events (4 uuids, 2
 * timestamps, jsonb) the server's COPY took 2.0–2.2 s in binary against 4.2 s in text
 * (docs/synthesis.md). A table goes binary only when every one of its columns has a writer here;
 * otherwise its rows stay COPY text.
 */
export type BinValue = (idx: number, w: BinWriter) => void;

/** A growing buffer of COPY binary. */
export class BinWriter {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1 << 16, size));
  }
  /** room for n more bytes */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
  int16(v: number): void {
    this.room(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  /** a NULL field */
  null(): void {
    this.room(4);
    this.buf.writeInt32BE(-1, this.pos);
    this.pos += 4;
  }
  /** a field of `bytes` bytes: its length; the caller writes the bytes at `pos` (room made) */
  field(bytes: number): number {
    this.room(4 + bytes);
    this.buf.writeInt32BE(bytes, this.pos);
    const at = this.pos + 4;
    this.pos = at + bytes;
    return at;
  }
  /** a field holding a string's UTF-8 bytes, after `prefix` bytes of the given value (jsonb's version) */
  text(s: string, prefix = -1): void {
    const lead = prefix >= 0 ? 1 : 0;
    this.room(4 + lead + 3 * s.length);
    const at = this.pos + 4;
    if (lead) this.buf[at] = prefix;
    const n = lead + this.buf.write(s, at + lead);
    this.buf.writeInt32BE(n, this.pos);
    this.pos = at + n;
  }
  /** bytes written before (a field or more), as they are: `n` bytes of `b` from `from` */
  raw(b: Uint8Array, from = 0, n = b.length - from): void {
    this.room(n);
    const buf = this.buf;
    // a field of a few dozen bytes copies faster in a loop than through set()
    if (n > 64) buf.set(b.subarray(from, from + n), this.pos);
    else for (let j = 0, at = this.pos; j < n; j++) buf[at + j] = b[from + j]!;
    this.pos += n;
  }
}

/**
 * Fields made once and copied since (a column whose values repeat: plan.ts's memo), kept side by
 * side in one buffer: a Buffer per value, looked up at random over 250,000 session keys, cost
 * more than making the value again (a cache miss on the array, the Buffer and its bytes).
 */
export class BinMemo {
  private readonly start: Int32Array;
  private readonly length: Int32Array;
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  constructor(values: number) {
    this.start = new Int32Array(values).fill(-1);
    this.length = new Int32Array(values);
  }
  /** writes value i's field when it was kept; false when not made yet */
  copy(i: number, w: BinWriter): boolean {
    const from = this.start[i]!;
    if (from < 0) return false;
    w.raw(this.arena, from, this.length[i]!);
    return true;
  }
  /** keeps value i's field, written in w from `from` to its end */
  keep(i: number, w: BinWriter, from: number): void {
    const n = w.pos - from;
    if (this.used + n > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.used + n));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    w.buf.copy(this.arena, this.used, from, w.pos);
    this.start[i] = this.used;
    this.length[i] = n;
    this.used += n;
  }
}

/** COPY binary's header: signature, flags, header extension length. */
export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** COPY binary's trailer: a field count of -1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** The built-in character types, whose binary form is their text's bytes (char(n) padded by its receive function). */
const BUILTIN_TEXT = /^(text|name|character varying|varchar|character|bpchar)(\(\d+\))?$/;

const JSON_HEAD = Buffer.from('{"id" : ');
const JSON_MID = Buffer.from(', "v" : "');
const JSON_TAIL = Buffer.from('"}');

const MS_2000 = Date.UTC(2000, 0, 1);
/** seconds from 2000-01-01 to 2020-01-01, where values-js.ts's timestamps start */
const S_2020 = (Date.UTC(2020, 0, 1) - MS_2000) / 1000;
const TWO32 = 4294967296;

/** The binary writer of valueJs's values of `type` for indexes [0, max], or null: the table stays text. */
export function valueBin(type: TypeInfo, ctx: ValueContext, max: number): BinValue | null {
  if (!(max >= 0 && max < 2 ** 45)) return null;
  switch (type.kind) {
    case 'domain':
      // the base type's receive, then the domain's checks, as for text
      return valueBin(type.base, ctx, max);
    case 'int': {
      const bytes = type.bytes;
      if (bytes === 2 && max >= 32766) return null;
      if (bytes === 4 && max >= 2147483646) return null;
      return (i, w) => {
        const at = w.field(bytes);
        const v = 1 + i;
        if (bytes === 2) w.buf.writeInt16BE(v, at);
        else if (bytes === 4) w.buf.writeInt32BE(v, at);
        else {
          const hi = Math.floor(v / TWO32);
          w.buf.writeUInt32BE(hi, at);
          w.buf.writeUInt32BE(v - hi * TWO32, at + 4);
        }
      };
    }
    case 'bool':
      return (i, w) => {
        w.buf[w.field(1)] = i % 2;
      };
    case 'uuid': {
      // values-js.ts: 16 hex digits of md5(seed:salt:i), then i in 16 hex digits
      const prefix = `${ctx.seed}:${ctx.salt}:`;
      const md5 = Md5Of.for(prefix);
      if (md5) {
        return (i, w) => {
          const at = w.field(16);
          md5.of(i);
          for (let k = 0; k < 8; k++) w.buf[at + k] = md5.byte(k);
          const hi = Math.floor(i / TWO32);
          w.buf.writeUInt32BE(hi, at + 8);
          w.buf.writeUInt32BE(i - hi * TWO32, at + 12);
        };
      }
      return (i, w) => {
        const at = w.field(16);
        // the digest as hex (a Buffer per call cost twice the CPU), its first 8 bytes decoded in place
        w.buf.write(hash('md5', prefix + String(i)), at, 8, 'hex');
        const hi = Math.floor(i / TWO32);
        w.buf.writeUInt32BE(hi, at + 8);
        w.buf.writeUInt32BE(i - hi * TWO32, at + 12);
      };
    }
    case 'timestamp': {
      // 2020-01-01 + i seconds, as microseconds since 2000-01-01 (UTC, as values-js.ts writes it);
      // exact while a double holds the microseconds
      if (max > 8e9) return null;
      return (i, w) => {
        const at = w.field(8);
        const us = (S_2020 + i) * 1e6;
        const hi = Math.floor(us / TWO32);
        w.buf.writeUInt32BE(hi, at);
        w.buf.writeUInt32BE(us - hi * TWO32, at + 4);
      };
    }
    case 'date':
      // 2000-01-01 + i days: days since 2000-01-01
      if (max > 2_900_000) return null;
      return (i, w) => {
        w.buf.writeInt32BE(i, w.field(4));
      };
    case 'enum': {
      // enum_recv reads the label
      const labels = type.labels;
      return max < labels.length ? (i, w) => w.text(labels[i]!) : null;
    }
    case 'text': {
      if (!BUILTIN_TEXT.test(type.sql)) return null;
      const md5 = Md5Of.for(`${ctx.seed}:${ctx.salt}:`);
      if (md5 && !type.fixed) {
        // values-js.ts's text: rpad(i || '-', max(want, digits), md5 hex), written as bytes
        const want = Math.min(textLength(ctx.width), type.maxLength ?? Infinity);
        return (i, w) => {
          md5.of(i);
          const digits = md5.ndigits;
          const length = Math.max(want, digits);
          const at = w.field(length);
          md5.digitsInto(w.buf, at);
          if (length > digits) w.buf[at + digits] = 45; // '-'
          if (length > digits + 1) md5.hexInto(w.buf, at + digits + 1, length - digits - 1);
        };
      }
      // a character type's COPY text is its value: digits, '-' and hex (values-js.ts escapes none)
      const text = valueJs(type, ctx, max);
      return text && ((i, w) => w.text(text(i)));
    }
    case 'json': {
      const md5 = Md5Of.for(`${ctx.seed}:${ctx.salt}:`);
      if (md5) {
        // values-js.ts's json: {"id" : i, "v" : "<md5 hex repeated to pad>"}, after jsonb's version byte
        const pad = Math.max(0, textLength(ctx.width) - 24);
        const lead = type.sql === 'jsonb' ? 1 : 0;
        return (i, w) => {
          md5.of(i);
          const digits = md5.ndigits;
          const at = w.field(lead + JSON_HEAD.length + digits + JSON_MID.length + pad + JSON_TAIL.length);
          const buf = w.buf;
          let p = at;
          if (lead) buf[p++] = 1;
          // a few constant bytes: a loop, where set() costs a call each
          for (let j = 0; j < JSON_HEAD.length; j++) buf[p++] = JSON_HEAD[j]!;
          md5.digitsInto(buf, p);
          p += digits;
          for (let j = 0; j < JSON_MID.length; j++) buf[p++] = JSON_MID[j]!;
          if (pad > 0) md5.hexInto(buf, p, pad);
          p += pad;
          for (let j = 0; j < JSON_TAIL.length; j++) buf[p++] = JSON_TAIL[j]!;
        };
      }
      const text = valueJs(type, ctx, max);
      if (!text) return null;
      // jsonb's binary form: a version byte (1), then the text
      return type.sql === 'jsonb' ? (i, w) => w.text(text(i), 1) : (i, w) => w.text(text(i));
    }
    case 'inet': {
      // '1.0.0.0' + i (values-js.ts), as network_recv reads it: family (PGSQL_AF_INET = 2), bits, is_cidr, length, the address
      if (max > 2 ** 32 - 1 - 2 ** 24) return null;
      const cidr = type.sql === 'cidr' ? 1 : 0;
      return (i, w) => {
        const at = w.field(8);
        w.buf[at] = 2;
        w.buf[at + 1] = 32;
        w.buf[at + 2] = cidr;
        w.buf[at + 3] = 4;
        w.buf.writeUInt32BE(2 ** 24 + i, at + 4);
      };
    }
    default:
      return null;
  }
}
