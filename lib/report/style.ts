// The pages' stylesheet: readable from phone to laptop width, charts' heights reserved (no layout
// shift while they draw), focus visible, meaning in text and icons as well as colour.
export const PAGE_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --soft: #f6f8fa;
  --good: #1a7f37; --bad: #c62828; --warn: #9a6700; --neutral: #57606a; --ctl: #1f6fb4; --exp: #c0560a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
header.top, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
header.top { padding-top: 12px; border-bottom: 1px solid var(--line); padding-bottom: 8px; }
.brand { margin: 0; color: var(--muted); font-size: 13px; }
h1 { font-size: 26px; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
h2 { font-size: 20px; margin: 24px 0 8px; }
h3 { font-size: 17px; margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
h4 { font-size: 14px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
h5 { font-size: 13px; margin: 8px 0 2px; }
a { color: #0a58ca; }
a:focus-visible, summary:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible { outline: 3px solid #0a58ca; outline-offset: 2px; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px; white-space: pre-wrap; word-break: break-all; margin: 0; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); }
.badge { display: inline-flex; gap: 4px; align-items: center; border: 1px solid currentColor; border-radius: 4px; padding: 0 6px; font-size: 14px; font-weight: 600; white-space: nowrap; }
.badge.big { font-size: 24px; padding: 2px 10px; }
.badge.small { font-size: 12px; }
.good { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); } .neutral { color: var(--neutral); }
.score { font-size: 17px; margin: 4px 0; }
.reason { margin: 4px 0; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
.kv dt { color: var(--muted); } .kv dd { margin: 0; min-width: 0; }
table { border-collapse: collapse; margin: 8px 0; min-width: 100%; overflow-wrap: normal; }
td code { overflow-wrap: anywhere; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
.scroll { overflow-x: auto; max-width: 100%; }
nav ol { padding-left: 20px; margin: 4px 0; }
nav li { margin: 2px 0; }
.metric { border: 1px solid var(--line); border-radius: 6px; padding: 12px; margin: 16px 0; scroll-margin-top: 8px; }
.metric .flags { color: var(--muted); margin: 0; font-size: 13px; }
.chart { height: 220px; width: 100%; overflow: hidden; background: var(--soft); }
.legend { display: flex; flex-wrap: wrap; gap: 16px; font-size: 13px; margin-bottom: 4px; }
.legend svg { vertical-align: middle; }
.ln { stroke-width: 2; } .ln.ctl { stroke: var(--ctl); } .ln.exp { stroke: var(--exp); stroke-dasharray: 6 4; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.grid2 > div { min-width: 0; }
@media (max-width: 700px) { .grid2 { grid-template-columns: 1fr; } h1 { font-size: 22px; } .kv { grid-template-columns: 1fr; } .kv dt { margin-top: 4px; } }
figure { margin: 4px 0; }
figure svg { width: 100%; height: auto; display: block; }
figure.dist svg { aspect-ratio: 300 / 66; } figure.ci-fig svg { aspect-ratio: 300 / 52; }
figcaption { font-size: 12px; color: var(--muted); }
svg .lbl, svg .tick { font-size: 10px; fill: var(--muted); }
svg .whisker { stroke: var(--fg); stroke-width: 1; }
svg .box { stroke: var(--fg); stroke-width: 1; } svg .box.ctl { fill: #cfe2f3; } svg .box.exp { fill: #f7d9c4; }
svg .median { stroke: var(--fg); stroke-width: 2; }
svg .band { fill: #d8f0dc; stroke: var(--good); stroke-dasharray: 3 2; }
svg .ref { stroke: var(--muted); stroke-dasharray: 2 2; }
svg .ci { stroke: var(--fg); stroke-width: 2; } svg .est { fill: var(--fg); }
figure.scores { max-width: 600px; } figure.scores svg { aspect-ratio: 420 / 200; }
@media (max-width: 700px) { figure.scores svg .tick, figure.scores svg .lbl { font-size: 13px; } }
#looks-table time { white-space: nowrap; }
svg .grid { stroke: var(--line); }
svg .threshold { stroke-width: 1.5; } svg .threshold.pass { stroke: var(--good); stroke-dasharray: 8 4; } svg .threshold.marginal { stroke: var(--warn); stroke-dasharray: 2 3; }
svg .score-line { fill: none; stroke: var(--muted); stroke-width: 1.5; }
.pt circle, .pt rect, .score-legend circle, .score-legend rect { fill: currentColor; } .pt path, .score-legend path { stroke: currentColor; stroke-width: 2.5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.stats td, .stats th { font-size: 13px; }
.warnings { border-left: 4px solid var(--warn); background: #fff8e1; padding: 6px 10px; margin: 8px 0; }
.warnings ul { margin: 4px 0; padding-left: 20px; }
details.queries { margin-top: 8px; }
summary { cursor: pointer; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); margin-top: 24px; padding-bottom: 24px; }
form label { display: block; margin: 6px 0 2px; font-weight: 600; }
input[type=text], input[type=password], textarea, select { width: 100%; max-width: 100%; font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; }
textarea { font-family: ui-monospace, monospace; font-size: 13px; min-height: 8em; }
button { font: inherit; padding: 4px 12px; margin: 6px 6px 0 0; border: 1px solid var(--fg); border-radius: 4px; background: var(--soft); cursor: pointer; }
.status-line { min-height: 1.5em; }
`;
