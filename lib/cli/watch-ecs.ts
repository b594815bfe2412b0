/**
 * `utmpx watch --format ecs` lines written straight from an event's ECS
 * fields: the same bytes as toJson(ecsDocument(e)), without building the
 * document's objects and walking them again (the costliest part of a burst).
 */
import { ECS_VERSION, type EcsFields } from '../watch/ecs';
import { toJson } from './output';

/** A string as toJson writes it: most are printable ASCII, which needs no escape; any other goes through toJson itself. */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return toJson(s);
  }
  return `"${s}"`;
}

const ECS = `"ecs":{"version":${str(ECS_VERSION)}}`;

/** One event's ECS document as a JSON line (no newline), keys in ecsDocument()'s order. */
export function ecsLine(f: EcsFields): string {
  let j = `{"@timestamp":"${f.timestamp}",${ECS},"event":{"kind":"event","category":["${f.system ? 'host' : 'authentication'}"],` +
    `"type":["${f.end ? 'end' : 'start'}"],"action":"${f.action}","module":"utmpx","dataset":${str(f.dataset)}`;
  if (f.outcome !== null) j += `,"outcome":"${f.outcome}"`;
  if (f.loginStart !== null) {
    j += `,"start":"${f.loginStart}","end":"${f.timestamp}"`;
    if (f.duration !== null) j += `,"duration":${f.duration}`;
  }
  j += `},"host":{"hostname":${str(f.hostname)}`;
  if (f.kernel !== '') j += `,"os":{"kernel":${str(f.kernel)}}`;
  j += '}';
  if (f.pid !== null) j += `,"process":{"pid":${f.pid}}`;
  if (f.user !== '') j += f.uid === null ? `,"user":{"name":${str(f.user)}}` : `,"user":{"name":${str(f.user)},"id":"${f.uid}"}`;
  if (f.ip !== null || f.domain !== null) {
    j += ',"source":{';
    if (f.ip !== null) j += `"ip":${str(f.ip)}${f.domain !== null ? ',' : ''}`;
    if (f.domain !== null) j += `"domain":${str(f.domain)}`;
    j += '}';
  }
  if (f.user !== '' || f.ip !== null) {
    j += ',"related":{';
    if (f.user !== '') j += `"user":[${str(f.user)}]${f.ip !== null ? ',' : ''}`;
    if (f.ip !== null) j += `"ip":[${str(f.ip)}]`;
    j += '}';
  }
  j += `,"message":${str(f.message)}`;
  if (f.path !== '') j += `,"log":{"file":{"path":${str(f.path)}}}`;
  let custom = '';
  if (f.terminal !== '') custom += `,"terminal":${str(f.terminal)}`;
  if (f.otherHost !== '') custom += `,"host":${str(f.otherHost)}`;
  if (f.session !== null) custom += `,"session":${f.session}`;
  if (f.sessionId !== '') custom += `,"session_id":${str(f.sessionId)}`;
  if (f.service !== '') custom += `,"service":${str(f.service)}`;
  if (f.ended !== '') custom += `,"ended":${str(f.ended)}`;
  if (custom !== '') j += `,"utmpx":{${custom.slice(1)}}`;
  return j + '}';
}
