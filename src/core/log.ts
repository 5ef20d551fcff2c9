import { maskSecrets } from './mask.ts';

/**
 * Progress and diagnostics go to stderr (stdout is kept for --json). On a TTY a long step redraws
 * one live line; otherwise it prints a line at most every `periodicMs`.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** a long step: call `update` as it goes and `done` at the end */
  progress(label: string): Progress;
}

export interface Progress {
  update(detail: string): void;
  done(detail?: string): void;
}

export interface LoggerOptions {
  quiet?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  periodicMs?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const periodicMs = options.periodicMs ?? 5000;
  // a live progress line on a TTY (no newline yet): a line printed meanwhile clears it first,
  // and the next update draws it again below
  let live = false;
  const line = (text: string) => {
    stream.write(`${live ? '\r\x1b[2K' : ''}${maskSecrets(text)}\n`);
    live = false;
  };
  const write = (text: string) => {
    if (!options.quiet) line(text);
  };
  return {
    info: write,
    warn: (m) => line(`warning: ${m}`),
    progress(label) {
      const started = Date.now();
      let lastPrinted = started;
      const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
      if (!options.quiet && !tty) write(`${label} …`);
      return {
        update(detail) {
          if (options.quiet) return;
          if (tty) {
            stream.write(`\r\x1b[2K${label}: ${maskSecrets(detail)} (${elapsed()})`);
            live = true;
          } else if (Date.now() - lastPrinted >= periodicMs) {
            lastPrinted = Date.now();
            write(`${label}: ${detail} (${elapsed()})`);
          }
        },
        done(detail) {
          if (options.quiet) return;
          write(`${label}: ${detail ?? 'done'} (${elapsed()})`);
        },
      };
    },
  };
}

export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  progress: () => ({ update: () => {}, done: () => {} }),
};
