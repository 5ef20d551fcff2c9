export const EXIT_CODES = `
Exit codes:
  0  every pending migration applied
  1  a migration failed (the report says which statement, file:line and SQLSTATE), a budget
     failed, or a regression over --baseline (compare: any regression)
  2  usage: bad flags, bad config, bad migration folder or file (syntax error at file:line)
  3  infrastructure: the server, the dump, or the tools around them (pg_restore, psql);
     doctor: a check failed
  130 interrupted (Ctrl-C, SIGTERM): servers stopped, the partial report written`;
