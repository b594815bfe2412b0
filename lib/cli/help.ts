/**
 * The subcommands' help text, read as a structure: the one source of
 * `--help` (printed aligned), the man pages and the shell completions, so
 * that none of them can drift from the others.
 *
 * An option line is `  -x, --long VALUE  what it does` (or `      --long`,
 * or `  -x`), its description going on in lines indented further.
 */

export interface HelpOption {
  /** `-x`, when it has one. */
  short?: string;
  /** `--long`, when it has one. */
  long?: string;
  /** The value's name (`FILE`, `N`, `short|full|iso`), when it takes one. */
  value?: string;
  /** The option as written: `-n, --limit N, -N`. */
  term: string;
  /** The description, a line of the help each. */
  text: string[];
}

export type HelpBlock = { kind: 'text'; lines: string[] } | { kind: 'options'; options: HelpOption[] };

// `-x`, `-x, --long` or `--long`; then a value (`FILE`, `a|b|c`) and an alternative short form (`, -N`).
const OPTION_LINE = /^ {2}(?:(-[A-Za-z0-9])(?:, (--[a-z][\w-]*))?| {4}(--[a-z][\w-]*))((?:[ =](?:[A-Z][A-Z0-9_]*|[a-z]+(?:\|[a-z]+)+))?)((?:, -[A-Z])?)(?: +(.*))?$/;
const CONTINUATION = /^ {6,}\S/;
/** A longer option puts its description on the next line. */
const MAX_TERM = 20;

/** The blocks of a help text: paragraphs (kept as they are) and option lists. */
export function parseHelp(help: string): HelpBlock[] {
  const blocks: HelpBlock[] = [];
  let options: HelpOption[] | null = null;
  for (const line of help.replace(/\n$/, '').split('\n')) {
    const m = OPTION_LINE.exec(line);
    if (m) {
      const [, short, shortLong, onlyLong, value, alternative, text] = m;
      const long = shortLong ?? onlyLong;
      const term = (short ? short + (long ? `, ${long}` : '') : `    ${long}`) + value + alternative;
      if (!options) blocks.push({ kind: 'options', options: (options = []) });
      options.push({ short, long, value: value ? value.slice(1) : undefined, term, text: text ? [text] : [] });
    } else if (options && CONTINUATION.test(line)) {
      options[options.length - 1].text.push(line.trim());
    } else {
      options = null;
      const last = blocks[blocks.length - 1];
      if (last?.kind === 'text') last.lines.push(line);
      else blocks.push({ kind: 'text', lines: [line] });
    }
  }
  return blocks;
}

/** Every option a help text lists. */
export function helpOptions(help: string): HelpOption[] {
  return parseHelp(help).flatMap((b) => (b.kind === 'options' ? b.options : []));
}

/** The help text with each option list's descriptions in one column. */
export function alignHelp(help: string): string {
  const out: string[] = [];
  for (const block of parseHelp(help)) {
    if (block.kind === 'text') { out.push(...block.lines); continue; }
    const width = Math.max(...block.options.map((o) => o.term.length).filter((n) => n <= MAX_TERM), 0);
    const indent = ' '.repeat(2 + width + 2);
    for (const o of block.options) {
      const [first, ...rest] = o.text;
      if (first === undefined) out.push(`  ${o.term}`);
      else if (o.term.length > width) out.push(`  ${o.term}`, indent + first);
      else out.push(`  ${o.term.padEnd(width)}  ${first}`);
      for (const line of rest) out.push(indent + line);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * A command's summary as [synopsis, description]: the synopsis ends with its
 * last bracket (`lastlog [-u USER] last login of each user`), or at two spaces.
 */
export function summaryColumns(summary: string): [string, string] {
  const m = /^(.*\])\s+(\S.*)$/.exec(summary) ?? /^(.*?\S) {2,}(\S.*)$/.exec(summary);
  return m ? [m[1], m[2]] : [summary, ''];
}

/** Lines of `  SYNOPSIS  DESCRIPTION` with the descriptions in one column (the main help's commands). */
export function alignColumns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([term]) => term.length));
  return rows.map(([term, text]) => `  ${term.padEnd(width)}  ${text}`);
}
