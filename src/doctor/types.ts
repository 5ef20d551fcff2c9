/** `rehearse doctor`: what this machine can rehearse, one check at a time, each with what to fix. */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** short name: node, dump, pg_restore, psql, docker, embedded, disk, root */
  name: string;
  /** ok; warn: works, with a caveat; fail: a run like this would fail; skip: not relevant to these options */
  status: CheckStatus;
  /** what was found, in one line */
  message: string;
  /** what to do about a warn or fail */
  fix?: string;
}

export interface DoctorOptions {
  /** --dump: the dump a run would restore */
  dump?: string;
  /** --postgres: the PostgreSQL major a run would start (default: the bundled one, or 17 in a container) */
  postgres?: number;
  provider: 'embedded' | 'container' | 'url';
  /** --image, for the container provider */
  image?: string;
}
