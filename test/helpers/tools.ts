/**
 * Programs the tests use that the README does not ask a machine to have
 * (util-linux's last/lastb/utmpdump, shadow's lastlog, logrotate, xz, zstd, ...).
 * A test that needs one is skipped when it is absent, with the tool and the
 * reason in its title: test/helpers/summary-reporter.js prints one line per
 * tool from those titles, and fails a CI run (CI=true) that skipped any, since
 * .ci/run installs them all.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What a skipped test's title ends with; summary-reporter.js looks for it ("[skipped: needs TOOL: why]" for a tool). */
export const SKIP_MARK = '[skipped: ';

/**
 * Tools that share their name with another program: what `--version` must say.
 * Debian 13's `last` is wtmpdb's; its `who` is coreutils' as everywhere.
 */
const IDENTITY: Record<string, RegExp> = {
  last: /util-linux/,
  lastb: /util-linux/,
  utmpdump: /util-linux/,
};

const cache = new Map<string, string | null>();

/** The path of `tool` on PATH, or null. */
export function onPath(tool: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', tool);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch { /* not here */ }
  }
  return null;
}

/** Why `tool` cannot be used here, or null when it can. */
export function whyMissing(tool: string): string | null {
  if (!cache.has(tool)) {
    let why: string | null = null;
    const file = onPath(tool);
    if (!file) {
      why = 'not on PATH';
    } else if (IDENTITY[tool]) {
      const r = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      const said = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      if (!IDENTITY[tool].test(said)) why = `${file} is not ${IDENTITY[tool].source}'s (its --version: ${JSON.stringify(said.split('\n')[0])})`;
    }
    cache.set(tool, why);
  }
  return cache.get(tool)!;
}

/** Whether every one of `tools` can be used. */
export function have(...tools: string[]): boolean {
  return tools.every((t) => whyMissing(t) === null);
}

/** The title suffix of a test skipped for want of `tools`, or null when all are there. */
export function skipNote(tools: string[]): string | null {
  const absent = tools.filter((t) => whyMissing(t) !== null);
  return absent.length ? absent.map((t) => `${SKIP_MARK}needs ${t}: ${whyMissing(t)}]`).join(' ') : null;
}

type Runner = typeof test | typeof describe;

/** `fn`, or its skip with the reason appended to every title. */
function named<T extends Runner>(fn: T, note: string | null): T {
  if (note === null) return fn;
  const skip = fn.skip as unknown as (name: string, ...rest: unknown[]) => void;
  const each = fn.skip.each as unknown as (...table: unknown[]) => (name: string, ...rest: unknown[]) => void;
  const skipped = (name: string, ...rest: unknown[]) => skip(`${name} ${note}`, ...rest);
  skipped.each = (...table: unknown[]) => (name: string, ...rest: unknown[]) => each(...table)(`${name} ${note}`, ...rest);
  skipped.skip = fn.skip;
  skipped.only = fn.only;
  return skipped as unknown as T;
}

/** `test`, skipped with a named reason unless every one of `tools` is here. */
export function testWith(...tools: string[]): typeof test {
  return named(test, skipNote(tools));
}

/** `test`, skipped with `why` in its title when `why` is not null (a reason other than a missing tool). */
export function testUnless(why: string | null): typeof test {
  return named(test, why === null ? null : `${SKIP_MARK}${why}]`);
}

/** `describe`, skipped with a named reason unless every one of `tools` is here. */
export function describeWith(...tools: string[]): typeof describe {
  return named(describe, skipNote(tools));
}

/** `describe`, skipped with `why` in its title when `why` is not null. */
export function describeUnless(why: string | null): typeof describe {
  return named(describe, why === null ? null : `${SKIP_MARK}${why}]`);
}
