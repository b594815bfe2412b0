/**
 * Man pages in roff, made from the same help text as `--help` (help.ts):
 * `utmpx(1)` from the main help and a page per subcommand (`utmpx-last(1)`).
 * scripts/write-man.js writes them into man/ at build time.
 */
import { type HelpOption, parseHelp, summaryColumns } from './help';

export interface ManCommand {
  name: string;
  /** The one-line summary (`last [-f FILE] ...   login history`). */
  summary: string;
  help: string;
}

/** Text as roff takes it: backslashes escaped, no line read as a request. */
function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

/** `-f, --file FILE` as roff: options bold, the value italic. */
function optionTerm(o: HelpOption): string {
  const names = [o.short, o.long].filter((n) => n !== undefined).map((n) => `\\fB${roff(n!)}\\fR`).join(', ');
  const alternative = /, -[A-Z]$/.exec(o.term)?.[0];
  return names + (o.value ? ` \\fI${roff(o.value)}\\fR` : '') + (alternative ? `, \\fB${roff(alternative.slice(2))}\\fR` : '');
}

/** Paragraphs of help text as `.PP` blocks; an indented line keeps its line (`.br`). */
function paragraphs(lines: string[]): string[] {
  const out: string[] = [];
  let open = false;
  for (const line of lines) {
    if (line.trim() === '') { open = false; continue; }
    if (!open) { out.push('.PP'); open = true; } else if (/^\s/.test(line)) out.push('.br');
    out.push(roff(line.trim()));
  }
  return out;
}

const header = (title: string, version: string) => [`.TH ${title.toUpperCase()} 1 "" "utmpx ${version}" "User Commands"`];

/** The page of one subcommand: its help's usage as SYNOPSIS, the rest as DESCRIPTION in order. */
export function commandPage(c: ManCommand, version: string): string {
  const page = header(`utmpx-${c.name}`, version);
  const description = summaryColumns(c.summary)[1];
  page.push('.SH NAME', `utmpx\\-${c.name} \\- ${roff(description)}`);
  for (const block of parseHelp(c.help)) {
    if (block.kind === 'options') {
      for (const o of block.options) page.push('.TP', optionTerm(o), ...o.text.map(roff));
      continue;
    }
    const lines = [...block.lines];
    const usage = lines[0]?.startsWith('Usage: ') ? lines.shift()! : undefined;
    if (usage) page.push('.SH SYNOPSIS', `.B utmpx ${c.name}`, roff(usage.replace(/^Usage: utmpx \S+ ?/, '')), '.SH DESCRIPTION');
    page.push(...paragraphs(lines));
  }
  page.push('.SH SEE ALSO', '\\fButmpx\\fR(1)');
  return page.join('\n') + '\n';
}

/** `utmpx(1)`: the commands, each pointing to its own page. */
export function mainPage(commands: ManCommand[], version: string): string {
  const page = header('utmpx', version);
  page.push(
    '.SH NAME', 'utmpx \\- read the Unix login databases (utmp, wtmp, btmp, lastlog, wtmpdb, lastlog2, logind)',
    '.SH SYNOPSIS', '.B utmpx', '\\fIcommand\\fR [\\fIoptions\\fR]',
    '.SH DESCRIPTION', '.PP',
    'Each command prints what the system tool of the same name prints, from the same databases;',
    '\\fB\\-\\-json\\fR and \\fB\\-\\-ndjson\\fR give every field. \\fButmpx\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR prints the text of its page.',
    '.SH COMMANDS',
  );
  for (const c of commands) {
    const [synopsis, description] = summaryColumns(c.summary);
    page.push('.TP', `\\fB${roff(synopsis)}\\fR`, `${roff(description)}; see \\fButmpx\\-${c.name}\\fR(1).`);
  }
  page.push(
    '.SH OPTIONS', '.TP', '\\fB\\-h\\fR, \\fB\\-\\-help\\fR', 'help (also after a command)', '.TP', '\\fB\\-V\\fR, \\fB\\-\\-version\\fR', 'the version',
    '.SH EXIT STATUS', '0 success; 1 an error (one line on stderr); 2 a usage error.',
    '.SH SEE ALSO',
    [...commands.map((c) => `\\fButmpx\\-${c.name}\\fR(1)`), '\\fBwho\\fR(1)', '\\fBlast\\fR(1)', '\\fButmpdump\\fR(1)', '\\fBlastlog\\fR(8)', '\\fButmp\\fR(5)'].join(', '),
  );
  return page.join('\n') + '\n';
}
