/** The options every subcommand shares (-f, --json, --ndjson, --iso), parsed strictly. */
import { parseArgs } from 'util';
import { UsageError } from './common';

export type Format = 'human' | 'json' | 'ndjson';

/** The options every subcommand takes, plus its own. */
export interface ParsedArgs {
  file: string | undefined;
  format: Format;
  iso: boolean;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The options' names in the order given (which of two that set one thing came last: `wtmpdb last -F --time-format iso`). */
  order: string[];
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const COMMON: OptionSpec = {
  file: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
};

/** --iso, taken only by the subcommands that print times (elsewhere it is an unknown option). */
export const ISO_OPTION: OptionSpec = { iso: { type: 'boolean' } };

/**
 * Parses `args` as getopt does: a repeated value option, the last one wins
 * (`last -n 2 -n 3`: aliases with a default depend on it); any mistake is a
 * UsageError worded as getopt words it.
 */
export function parseCommand(command: string, args: string[], extra: OptionSpec = {}, positionals = false): ParsedArgs {
  const options = { ...COMMON, ...extra };
  // Not parseArgs' strict mode: its messages quote what they cannot balance ('-- "--foo").
  const parsed = parseArgs({ args: withAttachedValues(args, options), options, allowPositionals: true, strict: false, tokens: true });
  checkTokens(command, parsed.tokens ?? [], options, positionals);
  const v = parsed.values as ParsedArgs['values'];
  if (v.json && v.ndjson) throw new UsageError(`${command}: --json and --ndjson exclude each other`);
  if (v.file === '') throw new UsageError(`${command}: -f needs a file name`);
  return {
    file: v.file as string | undefined,
    format: v.json ? 'json' : v.ndjson ? 'ndjson' : 'human',
    iso: Boolean(v.iso),
    values: v,
    positionals: parsed.positionals,
    order: (parsed.tokens ?? []).flatMap((t) => (t.kind === 'option' ? [t.name] : [])),
  };
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** Refuses what parseArgs (not strict) let through, each mistake worded as getopt words it. */
export function checkTokens(command: string, tokens: Token[], options: OptionSpec, positionals: boolean): void {
  for (const t of tokens) {
    if (t.kind === 'positional' && !positionals) throw new UsageError(`${command}: unexpected argument '${t.value}'`);
    if (t.kind !== 'option') continue;
    const long = t.rawName.startsWith('--');
    const spec = Object.prototype.hasOwnProperty.call(options, t.name) ? options[t.name] : undefined;
    if (!spec) throw new UsageError(long ? `${command}: unrecognized option '${t.rawName}'` : `${command}: invalid option -- '${t.rawName.slice(1)}'`);
    if (spec.type === 'string' && t.value === undefined) {
      throw new UsageError(long ? `${command}: option '${t.rawName}' requires an argument` : `${command}: option requires an argument -- '${t.rawName.slice(1)}'`);
    }
    if (spec.type === 'boolean' && t.inlineValue) throw new UsageError(`${command}: option '${t.rawName}' doesn't allow an argument`);
  }
}

/**
 * getopt's rule, which util-linux and shadow follow: an option that takes a
 * value takes the next word whatever it looks like (`-s -3days`, `-u -1001`).
 * util.parseArgs refuses a value that begins with '-' unless attached, so
 * attach it (`--since=-3days`).
 */
export function withAttachedValues(args: string[], options: OptionSpec): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.set(`--${name}`, name);
    if (spec.short) takesValue.set(`-${spec.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = takesValue.get(args[i]);
    if (args[i] === '--') { out.push(...args.slice(i)); break; }
    if (name !== undefined && i + 1 < args.length && args[i + 1].startsWith('-')) {
      out.push(`--${name}=${args[++i]}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}
