/**
 * The README's CLI synopses and each subcommand's --help agree (issue 21):
 * a README synopsis names the operands (FILE, NAME..., `am i`) that the
 * usage line of `utmpx COMMAND --help` names, no more and no fewer; and
 * each help's option list is options only, no sentence in its middle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { utmpx } from './helpers/cli-run';

const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8');
const synopses = readme.split('## CLI\n')[1].split('```')[1].split('\n')
  .filter((l) => /^utmpx \w/.test(l) && !l.startsWith('utmpx --'))
  .map((l) => l.replace(/^(utmpx \w+) +/, '$1 ').replace(/ {2,}.*$/, '')); // without the description column

/**
 * The operands of a synopsis: what is neither an option nor an option's value
 * (`-f FILE`, `--since TIME`; a cluster such as `-abd` takes none).
 */
export function operands(synopsis: string): string[] {
  // `]` kept as a token: an option's value is in its own brackets (`[--ndjson] [FILE]`: FILE is an operand).
  const tokens = synopsis.replace(/\[/g, ' ').replace(/\]/g, ' ] ').split(/\s+/).filter((t) => t !== '' && t !== '|' && !/^\.+$/.test(t));
  const out: string[] = [];
  for (let i = 2; i < tokens.length; i++) { // after `utmpx COMMAND`
    const t = tokens[i];
    if (t === 'options' || t === ']') continue;
    if (t.startsWith('-')) {
      const takesValue = /^-[A-Za-z]$|^--[a-z-]+$/.test(t) && /^[A-Z][A-Z0-9|_.-]*$/.test(tokens[i + 1] ?? '');
      if (takesValue) i++;
      continue;
    }
    out.push(t);
  }
  return out.sort();
}

test('operands() reads a synopsis', () => {
  expect(operands('utmpx who [options] [FILE | am i]')).toEqual(['FILE', 'am', 'i']);
  expect(operands('utmpx users [-f FILE | FILE] [--json | --ndjson] [--source S]')).toEqual(['FILE']);
  expect(operands('utmpx who [-abdHlmpqrtTu] [FILE]')).toEqual(['FILE']);
  expect(operands('utmpx watch [-f FILE]... [--since TIME]')).toEqual([]);
  expect(operands('utmpx lastlog [-u USER|UID|MIN-MAX] [-b DAYS]')).toEqual([]);
  expect(operands('utmpx dump [-f FILE] [--json | --ndjson] [FILE]')).toEqual(['FILE']);
});

test('the README has a synopsis for every command of the main help', () => {
  const commands = [...utmpx('--help').stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
  expect(synopses.map((l) => l.split(/\s+/)[1]).sort()).toEqual(commands.sort());
});

test.each(synopses.map((l) => [l.split(/\s+/)[1], l]))('README synopsis of %s: the operands of its --help usage line', (command, line) => {
  const usage = utmpx(command, '--help').stdout.split('\n')[0];
  expect(usage).toMatch(new RegExp(`^Usage: utmpx ${command}\\b`));
  expect([line, operands(line)]).toEqual([line, operands(usage.replace(/^Usage: /, ''))]);
});

test.each(synopses.map((l) => l.split(/\s+/)[1]))('utmpx %s --help: an option list with no sentence in its middle', (command) => {
  const lines = utmpx(command, '--help').stdout.split('\n');
  const isOption = (l: string) => /^ {2}(-[A-Za-z0-9]\b| {4}--[A-Za-z])/.test(l);
  const first = lines.findIndex(isOption);
  if (first < 0) return; // no option list (completion)
  let last = first;
  lines.forEach((l, i) => { if (isOption(l)) last = i; });
  // Between the first and last option: options, and their descriptions continued deeper than any option begins.
  for (const l of lines.slice(first, last + 1)) {
    if (!isOption(l)) expect([command, l, /^ {8,}\S/.test(l)]).toEqual([command, l, true]);
  }
});
