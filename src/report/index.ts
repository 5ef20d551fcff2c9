export { reportMigrations, summarize, emptyReport } from './model/build.ts';
export { renderTerminal } from './render/terminal.ts';
export { writeReport, serializeReport, defaultOutDir } from './io/write.ts';
export { strongestLocks, lockStrength, LOCK_MODES } from './model/locks.ts';
export { SCHEMA_VERSION } from './model/types.ts';
export type * from './model/types.ts';
export { renderMarkdown, MARKDOWN_LIMIT } from './render/markdown.ts';
export { renderHtml } from './render/html.ts';
export { renderJunit } from './render/junit.ts';
export { evaluateBudgets, finalizeReport, computeVerdict, DEFAULT_BUDGETS, BUDGETS, type BudgetConfig } from './policy/budgets.ts';
export { renderVerdictLines } from './render/verdict.ts';
export { renderComparison } from './render/comparison.ts';
export { compareReports, DEFAULT_REGRESSION, type RegressionOptions } from './policy/compare.ts';
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
} from './io/formats.ts';
export { checkOutputs } from './io/outputs.ts';
export { groupBlocking, type BlockingGroup } from './format/blocking-groups.ts';
export { blocksApps } from './model/locks.ts';
export { renderSarif } from './render/sarif.ts';
export type { Suggestion, SuggestionFailure, SuggestionFigures, SuggestedRewrite } from './model/suggestion.ts';
export { analyzeFindings, FINDING_RULES, SUGGESTED_LOCK_TIMEOUT, type Finding, type FindingRule, type FindingSeverity } from './policy/findings/index.ts';
