// The fenced code blocks of a Markdown file and the marker comment before each, for
// test/readme.test.ts: `<!-- walkthrough: NAME -->` marks a shell block the test runs,
// `<!-- not run: REASON -->` one it deliberately leaves alone. Pure: no I/O.

export type Marker = { kind: 'walkthrough'; name: string } | { kind: 'not run'; reason: string };

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`sh`, `json`, …); '' when the fence has none. */
  lang: string;
  /** The marker comment on the last non-blank line before the fence, if any. */
  marker?: Marker;
  /** The lines between the fences, joined with '\n' (with a final '\n'). */
  code: string;
}

export interface MarkdownBlocks {
  blocks: CodeBlock[];
  /** Marker comments not directly followed (blank lines aside) by a fenced block: 1-based lines. */
  danglingMarkers: number[];
}

/** Languages whose blocks are shell commands a reader pastes: each must carry a marker. */
export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'zsh', 'console', 'shell-session']);

const MARKER = /^\s*<!--\s*(walkthrough|not run)\s*:\s*(.*?)\s*-->\s*$/;

export function markdownBlocks(text: string): MarkdownBlocks {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  const danglingMarkers: number[] = [];
  let pending: { line: number; marker: Marker } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (open) {
      const fence = open[1];
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
        if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
        body.push(lines[j]);
      }
      blocks.push({ line: i + 1, lang: open[2].toLowerCase(), marker: pending?.marker, code: body.length ? `${body.join('\n')}\n` : '' });
      pending = undefined;
      i = j;
      continue;
    }
    const m = MARKER.exec(lines[i]);
    if (m) {
      if (pending) danglingMarkers.push(pending.line);
      pending = { line: i + 1, marker: m[1] === 'walkthrough' ? { kind: 'walkthrough', name: m[2] } : { kind: 'not run', reason: m[2] } };
    } else if (lines[i].trim() !== '' && pending) {
      danglingMarkers.push(pending.line);
      pending = undefined;
    }
  }
  if (pending) danglingMarkers.push(pending.line);
  return { blocks, danglingMarkers };
}
