import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/log.ts';

/** What a terminal shows: each \r\x1b[2K wipes the current line. */
function screen(raw: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const part of raw.split(/(\r\x1b\[2K|\n)/)) {
    if (part === '\r\x1b[2K') current = '';
    else if (part === '\n') {
      lines.push(current);
      current = '';
    } else current += part;
  }
  return current ? [...lines, current] : lines;
}

describe('the logger on a terminal', () => {
  it('a line printed while a progress line is live replaces it, and the progress draws again below', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let raw = '';
    stream.on('data', (b: Buffer) => {
      raw += b.toString();
    });
    const log = createLogger({ stream });
    const p = log.progress('synthesizing');
    p.update('t 10 of 100 rows');
    log.info('public.t: a row of the first draw breaks t_check; made by the server, with redraws');
    p.update('t 50 of 100 rows');
    log.warn('password=secret is masked');
    p.done('100 rows');
    const shown = screen(raw).map((l) => l.replace(/ \(\d+\.\ds\)$/, ''));
    expect(shown).toEqual([
      'public.t: a row of the first draw breaks t_check; made by the server, with redraws',
      expect.stringMatching(/^warning: password=\S+ is masked$/),
      'synthesizing: 100 rows',
    ]);
    expect(raw).not.toContain('secret');
  });
});
