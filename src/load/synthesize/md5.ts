import { endianness } from 'node:os';

/**
 * md5(prefix || i) for the synthesis's values (values.ts's `md5(seed || ':' || salt || ':' || idx)`),
 * computed into four words, for a prefix short enough that the message fits one block. Its hex
 * is then written straight into the COPY buffer (values-bin.ts): through node:crypto the same
 * digest costs a string for the message, a call into C++ and a string for the hex, 0.57 µs a
 * value against 0.29 µs here. test/synthesize-binary.test.ts checks it against node:crypto.
 */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const S = Uint8Array.from([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16,
  23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
/** the message word each step reads */
const G = Uint8Array.from({ length: 64 }, (_, i) => (i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15));
/** the two ASCII hex digits of each byte */
const HEX = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const h = b.toString(16).padStart(2, '0');
  HEX[2 * b] = h.charCodeAt(0);
  HEX[2 * b + 1] = h.charCodeAt(1);
}
/** the most decimal digits of an index (< 2^53) */
const DIGITS = 16;

export class Md5Of {
  private readonly words = new Int32Array(16);
  private readonly bytes: Uint8Array;
  private readonly prefixLength: number;
  /** the digest of the last `of()`, as md5's four little-endian words */
  readonly out = new Int32Array(4);
  /** the decimal digits of the last `of()`'s index, and how many */
  readonly digits = new Uint8Array(DIGITS);
  ndigits = 0;
  private readonly reversed = new Uint8Array(DIGITS);

  /** null when the prefix is not ASCII or too long for one block with any index */
  static for(prefix: string): Md5Of | null {
    // md5's words are little-endian, read here through an Int32Array over the bytes
    if (endianness() !== 'LE') return null;
    return /^[ -~]*$/.test(prefix) && prefix.length + DIGITS <= 55 ? new Md5Of(prefix) : null;
  }

  private constructor(prefix: string) {
    this.bytes = new Uint8Array(this.words.buffer);
    for (let j = 0; j < prefix.length; j++) this.bytes[j] = prefix.charCodeAt(j);
    this.prefixLength = prefix.length;
  }

  /** digits of i (a non-negative integer), then md5(prefix || digits) into `out` */
  of(i: number): void {
    const d = this.digits;
    const r = this.reversed;
    let n = 0;
    let v = i;
    do {
      r[n++] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    for (let j = 0; j < n; j++) d[j] = r[n - 1 - j]!;
    this.ndigits = n;
    const m = this.bytes;
    const w = this.words;
    let len = this.prefixLength;
    // the words past the prefix cleared (the prefix's last partial word keeps its bytes)
    const full = (len + 3) >> 2;
    w.fill(0, full);
    for (let j = len; j < full * 4; j++) m[j] = 0;
    for (let j = 0; j < n; j++) m[len++] = d[j]!;
    m[len] = 0x80;
    w[14] = len * 8;
    let a = 0x67452301;
    let b = 0xefcdab89 | 0;
    let c = 0x98badcfe | 0;
    let e = 0x10325476;
    for (let s = 0; s < 64; s++) {
      const f = s < 16 ? (b & c) | (~b & e) : s < 32 ? (e & b) | (~e & c) : s < 48 ? b ^ c ^ e : c ^ (b | ~e);
      const t = e;
      e = c;
      c = b;
      const x = (a + f + K[s]! + w[G[s]!]!) | 0;
      b = (b + ((x << S[s]!) | (x >>> (32 - S[s]!)))) | 0;
      a = t;
    }
    this.out[0] = (a + 0x67452301) | 0;
    this.out[1] = (b + (0xefcdab89 | 0)) | 0;
    this.out[2] = (c + (0x98badcfe | 0)) | 0;
    this.out[3] = (e + 0x10325476) | 0;
  }

  /** byte k (0–15) of the digest */
  byte(k: number): number {
    return (this.out[k >> 2]! >>> ((k & 3) * 8)) & 255;
  }

  /** the digest's hex repeated, `count` characters, into buf at `at` (rpad('', count, md5)) */
  hexInto(buf: Uint8Array, at: number, count: number): void {
    const first = Math.min(count, 32);
    const out = this.out;
    for (let c = 0; c < first; c += 2) {
      const byte = (out[c >> 3]! >>> ((c & 6) * 4)) & 255;
      buf[at + c] = HEX[2 * byte]!;
      if (c + 1 < first) buf[at + c + 1] = HEX[2 * byte + 1]!;
    }
    // the rest: the 32 digits again (from the buffer itself)
    for (let c = 32; c < count; c++) buf[at + c] = buf[at + c - 32]!;
  }

  /** the last index's digits into buf at `at` */
  digitsInto(buf: Uint8Array, at: number): void {
    for (let j = 0; j < this.ndigits; j++) buf[at + j] = this.digits[j]!;
  }
}
