import { execa } from 'execa';
import { usageError } from '../core/errors.ts';
import { MIGRATION_PREFIX } from '../observe/index.ts';
import { maskSecrets } from '../core/mask.ts';
import type { TimeoutPolicy } from './replay.ts';

/**
 * The environment a migration command runs in: DATABASE_URL and the libpq variables (PGHOST,
 * PGPORT, PGUSER, PGPASSWORD, PGDATABASE) point at the rehearsal database; PGAPPNAME marks its
 * connections as the migration's (libpq tools and node-postgres honour it); --lock-timeout and
 * --statement-timeout go in PGOPTIONS. Variables that would send libpq elsewhere (PGSERVICE,
 * PGHOSTADDR, …) are removed.
 */
export function commandEnv(url: string, timeouts: TimeoutPolicy = {}, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !OVERRIDDEN.has(k)) env[k] = v;
  const options = [
    ...(timeouts.lockTimeoutMs !== undefined ? [`-c lock_timeout=${Math.round(timeouts.lockTimeoutMs)}`] : []),
    ...(timeouts.statementTimeoutMs !== undefined ? [`-c statement_timeout=${Math.round(timeouts.statementTimeoutMs)}`] : []),
  ];
  const sslmode = u.searchParams.get('sslmode');
  return {
    ...env,
    DATABASE_URL: url,
    PGHOST: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')),
    PGAPPNAME: MIGRATION_PREFIX,
    ...(sslmode ? { PGSSLMODE: sslmode } : {}),
    ...(options.length ? { PGOPTIONS: options.join(' ') } : {}),
  };
}

const OVERRIDDEN = new Set([
  'DATABASE_URL',
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGDATABASE',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGAPPNAME',
  'PGOPTIONS',
  'PGSSLMODE',
  'PGTARGETSESSIONATTRS',
]);

/** Passwords out of a text the command printed: URLs, password=…, and the rehearsal password itself. */
export function maskOutput(text: string, url: string): string {
  let out = maskSecrets(text);
  const password = decodeURIComponent(new URL(url).password);
  if (password.length >= 4) out = out.split(password).join('****');
  return out;
}

/** The last `lines` lines of a text, at most `chars` characters (the report keeps the tail short). */
export function tail(text: string, lines = 40, chars = 4000): string {
  let out = text.replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
  if (out.length > chars) out = '…' + out.slice(out.length - chars + 1);
  return out;
}

/**
 * The program a shell command line starts: the first word after any NAME=value assignments, when it
 * is a plain word (else null: a subshell, a redirect first, quoting — the shell will tell).
 */
export function programOf(command: string): string | null {
  const words = command.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(words[i]!)) i++;
  const word = words[i];
  return word && /^[A-Za-z0-9_./@+:-]+$/.test(word) ? word : null;
}

/**
 * Before any server starts: the program the command starts must exist (on PATH, a shell builtin,
 * or a file), else a usage error that says so.
 */
export async function checkCommand(command: string, cwd = process.cwd()): Promise<void> {
  if (command.trim() === '')
    throw usageError('--migrate-command is empty', 'give the command that applies your migrations, e.g. --migrate-command "npx node-pg-migrate up"');
  const program = programOf(command);
  if (!program) return;
  const found = await execa('sh', ['-c', 'command -v -- "$1"', 'sh', program], { cwd, reject: false, stdin: 'ignore' });
  if (found.exitCode !== 0) {
    throw usageError(
      `--migrate-command: "${program}" is not found (not on PATH, not a shell builtin, no such file in ${cwd})`,
      `install the migration tool (e.g. npm install --save-dev node-pg-migrate, then --migrate-command "npx node-pg-migrate up"), or give its path; the command runs through sh in ${cwd}`,
    );
  }
}
