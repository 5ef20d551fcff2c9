/** The container provider (testcontainers), loaded on demand by provision/index.ts. */
export { startContainer } from './start.ts';
export { dockerEngine, type Docker } from './engine.ts';
export { sweepContainers, type ContainerLeftover } from './orphans.ts';
export { HOST_LABEL, PID_LABEL, RUN_LABEL, START_LABEL } from './labels.ts';
export { TESTCONTAINERS_CHECKED } from './internals.ts';
