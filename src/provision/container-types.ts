/** What the container provider offers besides a URL: the server's own container and its tools. */

export interface ContainerExecOptions {
  /** streamed to the command's standard input: a host file path, or a stream (e.g. a gunzip) */
  stdin?: string | NodeJS.ReadableStream;
  /** a host file the command's standard output is written to (binary-safe); then `stdout` is '' */
  stdoutFile?: string;
  /** more environment variables (added to the PG* ones that point at the rehearsal database) */
  env?: Record<string, string>;
  /** each line of standard error as it comes, e.g. for progress */
  onStderrLine?: (line: string) => void;
}

export interface ContainerExecResult {
  exitCode: number;
  /** all of standard output, unless it went to `stdoutFile` */
  stdout: string;
  /** the last lines of standard error (at most 200) */
  stderr: string;
}

export interface ContainerAccess {
  /** the container's id on the engine */
  readonly id: string;
  /** the image it runs, as given (e.g. postgres:16) */
  readonly image: string;
  /**
   * Run a command inside the container, with PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE
   * set so that libpq tools (pg_restore, psql, pg_dump) reach the rehearsal database. Resolves
   * with the exit code; rejects only when the command cannot be run at all.
   */
  exec(cmd: string[], options?: ContainerExecOptions): Promise<ContainerExecResult>;
  /** Copy a host file or folder into a fresh folder of the container; resolves with its path there. */
  copyIn(hostPath: string): Promise<string>;
  /** Remove what copyIn put there (a path it returned). */
  removeCopy(containerPath: string): Promise<void>;
  /** A tar of a path of the container (its top entry is the path's last name); works while it is stopped. */
  archive(containerPath: string): Promise<NodeJS.ReadableStream>;
}
