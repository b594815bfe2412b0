/**
 * The Elastic Common Schema's own definitions (the npm package @elastic/ecs)
 * as a checker of documents, and `utmpx watch --format ecs` run until it has
 * printed a number of lines.
 */
import { type ChildProcess, spawn } from 'child_process';
import { isIP } from 'net';
import { EcsFlat } from '@elastic/ecs/build/commonjs/ecs_flat';
import { CLI, ORACLE_ENV } from './cli-run';
import { toJson } from '../../lib/cli/output';

type FieldDef = {
  type: string;
  normalize?: string[];
  required?: boolean;
  allowed_values?: { name: string; expected_event_types?: string[] }[];
};
const FIELDS = EcsFlat as unknown as Record<string, FieldDef>;

/** The version of the ECS package the checker reads. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ECS_PACKAGE_VERSION: string = require('@elastic/ecs/package.json').version;

/** The one custom object: whatever ECS has no field for. */
export const CUSTOM = 'utmpx';

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

function typeProblem(type: string, v: unknown): string | null {
  switch (type) {
    case 'keyword': case 'constant_keyword': case 'wildcard': case 'match_only_text': case 'text':
      return typeof v === 'string' ? null : 'not a string';
    case 'long':
      return Number.isInteger(v) && Math.abs(v as number) < 2 ** 63 ? null : 'not an integer'; // a long: any int64 (a double past 2^53 is still a whole number)
    case 'float': case 'scaled_float': case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'not a number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'not a boolean';
    case 'date':
      return typeof v === 'string' && ISO_DATE.test(v) && Number.isFinite(Date.parse(v)) ? null : 'not an ISO 8601 date';
    case 'ip':
      return typeof v === 'string' && isIP(v) !== 0 ? null : 'not an IP address';
    default:
      return `of ECS type ${type}, which no event of ours should hold`;
  }
}

/** Flattens a document to ECS's dotted names; arrays and scalars are leaves. */
export function flatten(doc: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name + '.', out);
    else out[name] = v;
  }
  return out;
}

/** Every way `doc` breaks ECS 9.4.0 (empty: valid). */
export function ecsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const flat = flatten(doc);
  for (const [name, def] of Object.entries(FIELDS)) {
    if (def.required && !(name in flat)) problems.push(`${name}: required, missing`);
  }
  if (flat['ecs.version'] !== ECS_PACKAGE_VERSION) problems.push(`ecs.version: ${String(flat['ecs.version'])}, not ${ECS_PACKAGE_VERSION}`);
  for (const [name, value] of Object.entries(flat)) {
    if (name === CUSTOM || name.startsWith(`${CUSTOM}.`)) continue;
    const def = FIELDS[name];
    if (!def) {
      problems.push(`${name}: no ECS field (and not under ${CUSTOM}.)`);
      continue;
    }
    const isArray = (def.normalize ?? []).includes('array');
    if (Array.isArray(value) !== isArray) problems.push(`${name}: ${isArray ? 'must be' : 'is'} an array`);
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) problems.push(`${name}: an empty array`);
    for (const v of values) {
      const p = typeProblem(def.type, v);
      if (p) problems.push(`${name}: ${JSON.stringify(v)} is ${p}`);
      if (def.allowed_values && !def.allowed_values.some((a) => a.name === v)) problems.push(`${name}: ${JSON.stringify(v)} is no allowed value`);
    }
  }
  // Each event.type must be expected with each event.category.
  const categories = (flat['event.category'] ?? []) as string[];
  for (const c of Array.isArray(categories) ? categories : []) {
    const expected = FIELDS['event.category'].allowed_values?.find((a) => a.name === c)?.expected_event_types ?? [];
    for (const t of (flat['event.type'] ?? []) as string[]) {
      if (!expected.includes(t)) problems.push(`event.type ${t} is not expected with event.category ${c}`);
    }
  }
  return problems;
}

/** True when no ECS field is named `name` or lies under it (a custom object must collide with none). */
export function freeOfEcs(name: string): boolean {
  return !Object.keys(FIELDS).some((f) => f === name || f.startsWith(`${name}.`));
}

/** Runs `utmpx watch ARGS`, returns its first `n` stdout lines, then stops it with SIGTERM (status 0 expected). */
export async function watchLines(args: string[], n: number, ms = 20_000): Promise<{ lines: string[]; stderr: string; status: number | null }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'watch', ...args], { env: ORACLE_ENV });
  let out = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = () => out.split('\n').slice(0, -1);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${lines().length} of ${n} lines within ${ms} ms; stdout: ${out} stderr: ${stderr}`)), ms);
      const check = () => {
        if (lines().length >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', (d) => { out += d; check(); });
      child.stderr!.on('data', (d) => { stderr += d; });
      child.on('exit', () => { clearTimeout(timer); reject(new Error(`the watch ended; stdout: ${out} stderr: ${stderr}`)); });
    });
  } finally {
    child.kill('SIGTERM');
  }
  const status = await exited;
  // Each line is exactly what toJson makes of the object it parses to (watch writes --format ecs by hand).
  for (const line of lines()) expect(toJson(JSON.parse(line))).toBe(line);
  return { lines: lines(), stderr, status };
}
