import { currentOwner, OWNER_ALIVE_SH, startShellWatcher } from '../ownership/index.ts';

/**
 * The captured command runs in its own process group (so Ctrl-C stops it and all it started). If
 * the tool itself is killed (kill -9, the OOM killer) nothing would stop that group: this tiny
 * detached shell loop, like the server's guardian (src/ownership/guardian.ts), checks every 200 ms
 * that the tool lives (pid + start time) and the group still has a process; when the tool is gone
 * first it sends the group SIGTERM, then SIGKILL after 3 s (dash's kill takes no `--`: a group
 * is written `-PGID` right after the signal). The server's own guardian stops the server and
 * removes its folder. The command's shell waits for the watchdog before it becomes the command
 * (src/capture/command.ts): a kill -9 before that leaves nothing to stop.
 */
const SCRIPT = `
owner=$1; start=$2; group=$3
${OWNER_ALIVE_SH}while kill -0 "-$group" 2>/dev/null && alive; do sleep 0.2; done
kill -0 "-$group" 2>/dev/null || exit 0
kill -TERM "-$group" 2>/dev/null
i=0
while kill -0 "-$group" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "-$group" 2>/dev/null
exit 0
`;

export interface Watchdog {
  /** the command is over (or stopped by the tool): end the watchdog now */
  dismiss(): void;
}

/** Watch the process group `group` (the command's pid, started detached) on behalf of this process. */
export function watchCommandGroup(group: number): Watchdog {
  const owner = currentOwner();
  // no sh: a kill -9 of the tool leaves the command running, as without it
  return startShellWatcher(SCRIPT, 'pg-rehearse-capture-watchdog', [String(owner.pid), owner.startTime ?? '', String(group)]);
}
