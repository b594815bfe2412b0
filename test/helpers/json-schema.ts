/**
 * A small JSON Schema (2020-12) checker for the keywords schema/ uses; a
 * keyword it does not know is a problem, so no rule is skipped unseen.
 */
import * as fs from 'fs';
import * as path from 'path';

type Schema = Record<string, unknown>;
const NOTES = new Set(['$schema', '$defs', 'title', 'description', 'format', '$comment']);

/** Every way `value` breaks the schema in `file` (empty: valid). */
export function schemaProblems(file: string, value: unknown): string[] {
  const problems: string[] = [];
  const load = (f: string): Schema => JSON.parse(fs.readFileSync(f, 'utf8'));
  const check = (s: Schema, v: unknown, at: string, base: string): void => {
    for (const [k, rule] of Object.entries(s)) {
      if (NOTES.has(k)) continue;
      switch (k) {
        case '$ref': {
          const [f, pointer] = (rule as string).split('#');
          const target = f ? path.resolve(path.dirname(base), f) : base;
          let sub = load(target);
          for (const part of (pointer ?? '').split('/').filter(Boolean)) sub = sub[part] as Schema;
          check(sub, v, at, target);
          break;
        }
        case 'type': {
          const types = Array.isArray(rule) ? rule : [rule];
          const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
          if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) problems.push(`${at}: ${actual}, not ${types.join(' or ')}`);
          break;
        }
        case 'enum':
          if (!(rule as unknown[]).includes(v)) problems.push(`${at}: ${JSON.stringify(v)} is none of ${JSON.stringify(rule)}`);
          break;
        case 'const':
          if (v !== rule) problems.push(`${at}: ${JSON.stringify(v)} is not ${JSON.stringify(rule)}`);
          break;
        case 'properties':
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
            for (const [p, ps] of Object.entries(rule as Record<string, Schema>)) {
              if (p in (v as object)) check(ps, (v as Record<string, unknown>)[p], `${at}.${p}`, base);
            }
          }
          break;
        case 'required':
          if (v !== null && typeof v === 'object') for (const p of rule as string[]) if (!(p in v)) problems.push(`${at}: ${p} missing`);
          break;
        case 'additionalProperties':
          if (rule === false && v !== null && typeof v === 'object' && !Array.isArray(v)) {
            const known = Object.keys((s.properties ?? {}) as object);
            for (const p of Object.keys(v)) if (!known.includes(p)) problems.push(`${at}: ${p} is not in the schema`);
          }
          break;
        case 'items':
          if (Array.isArray(v)) v.forEach((item, i) => check(rule as Schema, item, `${at}[${i}]`, base));
          break;
        case 'oneOf': case 'anyOf': {
          const saved = problems.length;
          const passing = (rule as Schema[]).filter((sub) => {
            const before = problems.length;
            check(sub, v, at, base);
            const ok = problems.length === before;
            problems.length = before;
            return ok;
          }).length;
          problems.length = saved;
          if (k === 'oneOf' ? passing !== 1 : passing === 0) problems.push(`${at}: matches ${passing} of the ${k} schemas`);
          break;
        }
        default:
          problems.push(`${at}: the checker does not know the keyword ${k}`);
      }
    }
  };
  check(load(file), value, '$', file);
  return problems;
}
