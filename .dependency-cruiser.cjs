/**
 * The import rule (issue 14), checked by `npm test` (npm run deps):
 * - no cycles, type-only imports included;
 * - stages in this order, a stage imports only stages before it (never one after it, never one of
 *   its own level);
 * - another stage is imported through its index.ts only (core/ and stats/ are flat: any file);
 * - inside report/: model ← format ← policy ← render ← io (budgets never import renderers).
 */
const STAGES = [
  ['core'],
  ['stats'],
  ['ownership'],
  ['provision'],
  ['cleanup'],
  ['load'],
  ['snapshot'],
  ['migrations'],
  ['schema'],
  ['observe'],
  ['replay', 'traffic'],
  ['analyze'],
  ['inspect'],
  ['report'],
  ['config', 'doctor'],
  ['suggest'],
  ['rehearsal', 'capture'],
  ['cli'],
];
const FLAT = ['core', 'stats'];

/** src/<stage>/… or src/<stage>.ts */
const stagePath = (names) => `^src/(${names.join('|')})(/|\\.ts$)`;

const order = STAGES.flatMap((level, i) => {
  const notBelow = STAGES.slice(i).flat();
  return [
    {
      name: `upward-or-sibling-from-${level.join('-')}`,
      comment: `${level.join(', ')} may import only stages before it: ${STAGES.slice(0, i).flat().join(', ') || '(none)'}`,
      severity: 'error',
      from: { path: stagePath(level) },
      to: { path: stagePath(notBelow), pathNot: '^src/$1(/|\\.ts$)' },
    },
  ];
});

const REPORT_LAYERS = ['model', 'format', 'policy', 'render', 'io'];
const reportLayers = REPORT_LAYERS.slice(0, -1).map((layer, i) => ({
  name: `report-${layer}-imports-upward`,
  comment: `inside report/: ${REPORT_LAYERS.join(' ← ')}; ${layer} imports none of ${REPORT_LAYERS.slice(i + 1).join(', ')}`,
  severity: 'error',
  from: { path: `^src/report/${layer}/` },
  to: { path: `^src/report/(${REPORT_LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles', from: {}, to: { circular: true } },
    ...order,
    {
      name: 'stage-internals',
      comment: 'another stage is imported through its index.ts (core/ and stats/ excepted)',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', `^src/(${FLAT.join('|')})/`] },
    },
    ...reportLayers,
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    includeOnly: '^src/',
  },
};
