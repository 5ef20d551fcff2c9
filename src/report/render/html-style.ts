/** The HTML report's stylesheet, inlined: no font or file is fetched. */
export const STYLE = `
:root { --fg: #1b1f24; --muted: #6a737d; --line: #d8dee4; --bg: #fff; --soft: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--soft); padding: 0 3px; border-radius: 3px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
pre.sql { max-width: 520px; max-height: 9em; overflow: auto; }
pre.diff { background: var(--soft); padding: 8px; border-radius: 4px; max-height: 480px; overflow: auto; }
pre.diff .add { color: var(--ok); } pre.diff .del { color: var(--bad); } pre.diff .chg { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td ul { margin: 0; padding-left: 16px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; text-transform: uppercase; font-size: 14px; vertical-align: middle; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); } .verdict.error { background: var(--warn); }
.reasons li { color: var(--bad); }
.suggestion-failed { color: var(--bad); }
.hint { color: var(--muted); }
.ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; } .muted { color: var(--muted); }
.status.applied { color: var(--ok); } .status.failed { color: var(--bad); font-weight: 600; } .status.skipped { color: var(--muted); }
.lock { border-left: 4px solid; padding-left: 4px; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; }
svg.timeline { display: block; width: 100%; height: auto; min-width: 900px; background: #fff; }
svg .lane-label { font: 11px ui-monospace, Menlo, Consolas, monospace; fill: var(--fg); }
svg .section-label { font: 600 11px system-ui, sans-serif; fill: var(--muted); }
svg .tick, svg .legend { font: 10px system-ui, sans-serif; fill: var(--muted); }
svg .legend { font-weight: 600; }
svg .grid { stroke: #eef1f4; } svg .zero { stroke: #c0c7cf; stroke-dasharray: 3 3; } svg .sep { stroke: var(--line); }
svg .migration { fill: #eaf2fb; stroke: #b6cde8; } svg .migration.failed { fill: #fdecec; stroke: #f0b4b4; }
svg .statement { fill: #2f6fb3; } svg .statement.rewrite { fill: #6f42c1; } svg .statement.failed { fill: var(--bad); }
svg .blocking { opacity: .85; } svg .errors { fill: var(--bad); opacity: .6; }
svg .chart-bg { fill: #fbfcfd; stroke: #eef1f4; }
svg .latency { fill: none; stroke-width: 1.5; }
.legend .key { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; border-radius: 2px; }
.legend .key.statement { background: #2f6fb3; } .legend .key.migration { background: #eaf2fb; border: 1px solid #b6cde8; }
.legend .key.blocking { background: #d62728; } .legend .key.errors { background: var(--bad); opacity: .6; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;
