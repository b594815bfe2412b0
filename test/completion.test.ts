/**
 * Shell completion (issue 21): `utmpx completion bash|zsh|fish`. The bash
 * script is loaded into a real bash and asked as bash asks it (COMP_WORDS,
 * COMP_CWORD, the function `complete -p` names); what it offers is compared
 * with the options the printed `--help` lists. zsh and fish are tested where
 * installed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, utmpx } from './helpers/cli-run';
import { tempDir } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

const commands = utmpx('--help').stdout.split('Commands:\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim().split(' ')[0]);
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const utmpxCommand = `${quote(process.execPath)} ${quote(CLI)}`;

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-completion-'));
  fs.writeFileSync(path.join(dir, 'wtmp.1'), '');
  fs.writeFileSync(path.join(dir, 'wtmp.2'), '');
});
afterAll(() => cleanup());

/** The options `utmpx COMMAND --help` lists, short and long. */
function helpOptions(command: string): string[] {
  const help = utmpx(command, '--help').stdout;
  return [...help.matchAll(/^ {2}(?:(-[A-Za-z0-9])(?:, (--[a-z][\w-]*))?| {4}(--[a-z][\w-]*))/gm)].flatMap((m) => [m[1], m[2], m[3]].filter(Boolean));
}

/** What bash offers for the command line `words` (the last one being completed). */
function bashOffers(words: string[]): string[] {
  const script = `source <(${utmpxCommand} completion bash) || exit 9
    [ "$(complete -p utmpx)" = "complete -F _utmpx utmpx" ] || exit 8
    COMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}
    "$(complete -p utmpx | sed 's/.*-F \\([^ ]*\\) .*/\\1/')"
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  test('the subcommands', () => {
    expect(bashOffers(['utmpx', ''])).toEqual(expect.arrayContaining([...commands, 'help']));
    expect(bashOffers(['utmpx', 'la'])).toEqual(['last', 'lastb', 'lastlog']);
    expect(bashOffers(['utmpx', 'help', 'l'])).toEqual(['last', 'lastb', 'lastlog']);
  });

  test.each(commands)('%s: every option its --help lists', (command) => {
    expect(bashOffers(['utmpx', command, '-'])).toEqual(expect.arrayContaining(helpOptions(command)));
    expect(bashOffers(['utmpx', command, '--'])).toEqual(expect.arrayContaining(helpOptions(command).filter((o) => o.startsWith('--'))));
  });

  test('file names after -f and --file, and where the command takes a FILE', () => {
    const files = [path.join(dir, 'wtmp.1'), path.join(dir, 'wtmp.2')];
    expect(bashOffers(['utmpx', 'last', '-f', path.join(dir, 'wt')])).toEqual(files);
    expect(bashOffers(['utmpx', 'lastb', '--file', 'wtmp.'])).toEqual(['wtmp.1', 'wtmp.2']);
    expect(bashOffers(['utmpx', 'dump', 'wtmp.'])).toEqual(['wtmp.1', 'wtmp.2']);
    expect(bashOffers(['utmpx', 'who', 'wtmp.'])).toEqual(['wtmp.1', 'wtmp.2']);
    // last's arguments are user names, not files
    expect(bashOffers(['utmpx', 'last', 'wtmp.'])).toEqual([]);
    // a value that is not a file: nothing offered
    expect(bashOffers(['utmpx', 'last', '-n', ''])).toEqual([]);
  });

  test('the words of a value written a|b|c in the help', () => {
    const help = utmpx('last', '--help').stdout;
    const words = /--time-format (\S+)/.exec(help)![1].split('|');
    expect(bashOffers(['utmpx', 'last', '--time-format', ''])).toEqual([...words].sort());
  });
});

testWith('zsh')('zsh: the script loads into compinit', () => {
  const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u && source <(${utmpxCommand} completion zsh) && (( $+_comps[utmpx] ))`], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

testWith('fish')("fish: subcommands and last's options", () => {
  const ask = (line: string) => spawnSync('fish', ['--no-config', '-c', `${utmpxCommand} completion fish | source; complete -C ${quote(line)}`], { encoding: 'utf8' });
  const sub = ask('utmpx la');
  expect(sub.status).toBe(0);
  expect(sub.stdout.split('\n').map((l) => l.split('\t')[0]).filter(Boolean).sort()).toEqual(['last', 'lastb', 'lastlog']);
  const offered = ask('utmpx last --').stdout.split('\n').map((l) => l.split('\t')[0]);
  expect(offered).toEqual(expect.arrayContaining(helpOptions('last').filter((o) => o.startsWith('--'))));
});

test.each(['zsh', 'fish'])('the %s script names every subcommand and every option of last', (shell) => {
  const r = utmpx('completion', shell);
  expect(r.status).toBe(0);
  for (const c of commands) expect(r.stdout).toContain(c);
  for (const o of helpOptions('last')) expect([o, r.stdout.includes(shell === 'fish' ? (o.startsWith('--') ? `-l ${o.slice(2)}` : `-s ${o.slice(1)}`) : o)]).toEqual([o, true]);
});

test('an unknown shell is a usage error', () => {
  const r = utmpx('completion', 'tcsh');
  expect(r.status).toBe(2);
  expect(r.stderr).toBe("utmpx: completion: name one shell: bash, zsh, fish\nTry 'utmpx completion --help' for more information.\n");
});
