export { reportMigrations, summarize, emptyReport } from './build.ts';
export { renderTerminal } from './render/terminal.ts';
export { writeReport, serializeReport, defaultOutDir } from './write.ts';
export { strongestLocks, lockStrength, LOCK_MODES } from './locks.ts';
export { SCHEMA_VERSION } from './types.ts';
export type * from './types.ts';
export { renderMarkdown, MARKDOWN_LIMIT } from './render/markdown.ts';
export { renderHtml } from './render/html.ts';
export { renderJunit } from './render/junit.ts';
export { evaluateBudgets, finalizeReport, computeVerdict, renderVerdictLines, DEFAULT_BUDGETS, BUDGETS, type BudgetConfig } from './budgets.ts';
export { compareReports, renderComparison, DEFAULT_REGRESSION, type RegressionOptions } from './compare.ts';
export {
  writeFormats,
  writeFormatsFromJson,
  renderFileFormat,
  renderTerminalOf,
  readReportFile,
  parseFormats,
  OUTPUT_FORMATS,
  DEFAULT_FORMATS,
  FORMAT_FILES,
} from './formats.ts';
export type { WithTraffic } from './traffic-types.ts';
export { groupBlocking, type BlockingGroup } from './blocking-groups.ts';
export { blocksApps } from './render/common.ts';
export { renderSarif } from './render/sarif.ts';
