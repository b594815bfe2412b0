/**
 * The help text (issue 21): descriptions in one column in every option list
 * of every subcommand and in the main help's command list; lastb's help about
 * failed logins only; the README's synopses list no option the help lacks.
 * The column is measured on the printed text, not taken from help.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { utmpx } from './helpers/cli-run';

const main = utmpx('--help').stdout;
const commands = main.split('Commands:\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim().split(' ')[0]);

/** Where the description starts on an option line or a continuation line (null: the line has none). */
function descriptionColumn(line: string): number | null {
  const option = /^( {2}(?:-\S(?:, --\S+)?| {4}--\S+)(?: \S+)*?)( {2,})\S/.exec(line);
  if (option) return option[1].length + option[2].length;
  if (/^ {2}(-\S|    --)\S*/.test(line)) return null; // a long option whose description follows on the next line
  const continued = /^( {6,})\S/.exec(line);
  return continued ? continued[1].length : null;
}

/** The option lists of a help text: runs of option lines and their continuations. */
function optionBlocks(help: string): string[][] {
  const blocks: string[][] = [];
  let block: string[] | null = null;
  for (const line of help.split('\n')) {
    const isOption = /^ {2}(-\S|    --\S)/.test(line);
    if (isOption || (block && /^ {6,}\S/.test(line))) {
      if (!block) blocks.push((block = []));
      block.push(line);
    } else {
      block = null;
    }
  }
  return blocks;
}

test('the main help names every command', () => {
  expect(commands).toEqual(expect.arrayContaining(['who', 'users', 'last', 'lastb', 'dump', 'boot', 'lastlog', 'watch']));
});

test('the main help: the commands\' descriptions in one column', () => {
  const lines = main.split('Commands:\n')[1].split('\n\n')[0].split('\n');
  const columns = lines.map((l) => /^( {2}\S.*?)( {2,})\S/.exec(l)).map((m) => m && m[1].length + m[2].length);
  expect(columns.every((c) => c !== null && c === columns[0])).toBe(true);
});

describe.each(commands)('utmpx %s --help', (command) => {
  const help = utmpx(command, '--help').stdout;

  test('has an option list', () => {
    expect(optionBlocks(help).length).toBeGreaterThan(0);
  });

  test('every option list has its descriptions in one column', () => {
    for (const block of optionBlocks(help)) {
      const columns = block.map(descriptionColumn).filter((c) => c !== null);
      expect({ block, columns: [...new Set(columns)] }).toEqual({ block, columns: [columns[0]] });
    }
  });
});

test('lastb --help: failed logins, and no wtmpdb-only option', () => {
  const help = utmpx('lastb', '--help').stdout;
  expect(help).not.toMatch(/wtmpdb/);
  for (const m of help.matchAll(/(\S+ )logins\b/g)) expect(m[1]).toBe('failed ');
});

test('the README\'s synopses list only options the help lists, and who\'s every letter', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8');
  const block = readme.split('## CLI\n')[1].split('```')[1];
  const synopses = block.split('\n').filter((l) => /^utmpx \w/.test(l) && !l.startsWith('utmpx --'));
  expect(synopses.length).toBeGreaterThan(5);
  for (const line of synopses) {
    const command = line.split(/\s+/)[1];
    const help = utmpx(command, '--help').stdout;
    const synopsis = line.replace(/^(utmpx \w+) +/, '$1 ').replace(/ {2,}.*$/, ''); // without the description
    const letters = [...synopsis.matchAll(/\[-([A-Za-z]+)\]|[[ ]-([A-Za-z])\b/g)].flatMap((m) => [...(m[1] ?? m[2])]);
    for (const letter of letters) expect([command, letter, help.includes(`  -${letter}`)]).toEqual([command, letter, true]);
    if (command === 'who') {
      const flags = [...help.matchAll(/^ {2}-([A-Za-z])(?:,| {2})/gm)].map((m) => m[1]).filter((f) => f !== 'f');
      expect(letters.sort()).toEqual(expect.arrayContaining(flags.sort()));
    }
  }
});
