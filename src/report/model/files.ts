/** A report's files in a folder (the names `rehearse run` writes). */
export const FILE_NAMES = {
  json: 'report.json',
  md: 'report.md',
  html: 'report.html',
  junit: 'junit.xml',
  sarif: 'report.sarif',
  codequality: 'gl-code-quality-report.json',
} as const;
