/**
 * Errors are values a user can act on: what failed, where (file:line), what to do.
 * Each carries the exit code the CLI returns for it (documented in README.md).
 */
export const ExitCode = {
  ok: 0,
  /** a migration failed, or (later) a budget was exceeded */
  migrationFailed: 1,
  /** bad flags, bad config, bad migration folder or file: the user's input */
  usage: 2,
  /** the server, the dump, the tools around them: infrastructure */
  infrastructure: 3,
  /** Ctrl-C or SIGTERM: everything stopped, partial report written */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'usage' | 'infrastructure';

export class RehearseError extends Error {
  readonly kind: ErrorKind;
  /** one line saying what to do about it */
  readonly hint: string | undefined;
  constructor(kind: ErrorKind, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RehearseError';
    this.kind = kind;
    this.hint = options.hint;
  }
  get exitCode(): ExitCode {
    return this.kind === 'usage' ? ExitCode.usage : ExitCode.infrastructure;
  }
}

export const usageError = (message: string, hint?: string, cause?: unknown) => new RehearseError('usage', message, { hint, cause });
export const infraError = (message: string, hint?: string, cause?: unknown) => new RehearseError('infrastructure', message, { hint, cause });

/** A short text for any thrown value, for logs and reports. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
