import { spawn } from 'node:child_process';
import { currentOwner } from '../ownership/index.ts';

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
alive() {
  [ -r "/proc/$owner/stat" ] || return 1
  [ -z "$start" ] && return 0
  IFS= read -r line < "/proc/$owner/stat" 2>/dev/null || return 1
  set -- \${line##*) }
  shift 19
  [ "$1" = "$start" ]
}
while kill -0 "-$group" 2>/dev/null && alive; do sleep 0.2; done
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
  const child = spawn('sh', ['-c', SCRIPT, 'pg-rehearse-capture-watchdog', String(owner.pid), owner.startTime ?? '', String(group)], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined); // no sh: a kill -9 of the tool leaves the command running, as without it
  child.unref();
  return {
    dismiss: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
