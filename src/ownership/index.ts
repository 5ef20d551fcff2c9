export { currentOwner, ownerLiveness, parseOwner, processStartTime, type Liveness, type Owner } from './owner.ts';
export { DATA_DIR, MARKER, createRunDir, listRunDirs, postmasterOf, removeRunDir, runRoot, writeMarker, type RunDirLeftover } from './rundir.ts';
export { OWNER_ALIVE_SH, startGuardian, startShellWatcher, type Guardian } from './guardian.ts';
export { dropScratchDatabase, listScratchDatabases, ownerComment, type ScratchLeftover } from './scratch.ts';
