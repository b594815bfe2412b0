/**
 * A watch event as an Elastic Common Schema (ECS 9.4.0) document, with the
 * field choices of Auditbeat's `system/login` dataset where ECS allows them,
 * so that Kibana's login dashboards and detection rules work on it. What ECS
 * has no field for (the line, a session id, an X display) is under the one
 * custom object `utmpx`.
 */
import * as fs from 'fs';
import { isIP } from 'net';
import * as os from 'os';
import { Accounts } from '../platform/accounts';
import type { WatchEvent } from './events';

/** The ECS version the documents conform to (`ecs.version`). */
export const ECS_VERSION = '9.4.0';

export interface EcsOptions {
  /** `host.hostname` (default: `os.hostname()`). */
  hostname?: string;
  /** A user name's uid, or null when no account has it (default: this machine's /etc/passwd, as getpwnam finds it there). */
  uidOf?: (user: string) => number | null;
}

/** Auditbeat's event.action values; a failed login is a `user_login` with outcome failure, as Auditbeat writes it. */
const ACTIONS: Record<WatchEvent['type'], string> = {
  login: 'user_login', logout: 'user_logout', failed: 'user_login', boot: 'boot', shutdown: 'shutdown',
};
/** event.dataset by source, each made once. */
const DATASETS: Partial<Record<WatchEvent['source'], string>> = {};
const MESSAGES: Record<WatchEvent['type'], string> = {
  login: 'Login', logout: 'Logout', failed: 'Failed login', boot: 'System boot', shutdown: 'System shutdown',
};

/** An IP address as text; anything longer than one can be (with a zone) is not, and never meets Node's slow IPv6 pattern. */
const isAddress = (s: string) => s.length <= 64 && (s.includes('.') || s.includes(':')) && isIP(s) !== 0;

/**
 * A DNS name (labels of 1-63 letters, digits and inner hyphens, dots between,
 * perhaps one at the end): not an X display (`:0`), a tmux pane
 * (`tmux(4004).%0`) or `user@host`. One pass, in time linear in its length
 * (a host name comes from whoever controls the client's reverse DNS).
 */
function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const end = s.charCodeAt(s.length - 1) === 0x2e ? s.length - 1 : s.length;
  let label = 0; // where the current label starts
  for (let i = 0; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === label || i - label > 63 || s.charCodeAt(label) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false;
      label = i + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) {
      return false;
    }
  }
  return true;
}

/** /etc/passwd, read again when it changed, looked at no more than once a minute. */
let accounts: { accounts: Accounts; mtimeMs: number; checked: number } | null = null;
function passwdUid(user: string): number | null {
  const now = Date.now();
  if (accounts === null || now - accounts.checked > 60_000) {
    let mtimeMs = -1;
    try {
      mtimeMs = fs.statSync('/etc/passwd').mtimeMs;
    } catch {
      // No user database: no uid is known.
    }
    if (accounts === null || accounts.mtimeMs !== mtimeMs) accounts = { accounts: new Accounts(), mtimeMs, checked: now };
    accounts.checked = now;
  }
  return accounts.accounts.uid(user);
}

/**
 * What an event's ECS document says, worked out once: ecsDocument() builds
 * the document from it, and `utmpx watch --format ecs` writes it as JSON
 * directly (lib/cli/watch-ecs.ts), without the document's objects. A field
 * that is null or '' is left out.
 */
export interface EcsFields {
  timestamp: string;
  system: boolean;
  end: boolean;
  action: string;
  dataset: string;
  outcome: 'success' | 'failure' | null;
  /** A logout that names its login: when the login was, and the nanoseconds between (null past a long). */
  loginStart: string | null;
  duration: number | null;
  hostname: string;
  kernel: string;
  pid: number | null;
  user: string;
  uid: number | null;
  ip: string | null;
  domain: string | null;
  message: string;
  path: string;
  /** Under `utmpx`: the line, a remote host that is no address or name, the session, ... */
  terminal: string;
  otherHost: string;
  session: number | null;
  sessionId: string;
  service: string;
  ended: string;
}

/** toISOString, with the date part kept from the last call (events come many a day): the time of day is arithmetic. */
let isoDay = NaN;
let isoDate = '';
const DAY_MS = 86_400_000;
const two = (n: number) => (n < 10 ? '0' : '') + n;
export function isoTime(d: Date): string {
  const ms = d.getTime();
  const day = Math.floor(ms / DAY_MS);
  if (day !== isoDay) {
    const iso = d.toISOString(); // throws for an invalid Date, as before
    isoDay = day;
    isoDate = iso.slice(0, iso.indexOf('T') + 1); // a year past 9999 is longer
    return iso;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const milli = rest - seconds * 1000;
  return `${isoDate}${two(hours)}:${two(minutes)}:${two(seconds)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The facts of an event's ECS document (see ecsDocument()). */
export function ecsFields(e: WatchEvent, options: EcsOptions = {}): EcsFields {
  const system = e.type === 'boot' || e.type === 'shutdown';
  const login = e.login;
  const timestamp = isoTime(e.time);
  let loginStart: string | null = null;
  let duration: number | null = null;
  if (login) {
    loginStart = isoTime(login.time);
    const nanoseconds = Math.max(0, e.time.getTime() - login.time.getTime()) * 1e6;
    if (nanoseconds < 2 ** 63) duration = nanoseconds; // a long; only times no clock wrote go past it
  }
  const line = e.line || login?.line || '';
  const terminal = line !== '' && line !== '~' ? line : '';
  const pid = e.pid ?? login?.pid;
  let user = '';
  let uid: number | null = null;
  let ip: string | null = null;
  let domain: string | null = null;
  let otherHost = '';
  let message = MESSAGES[e.type];
  if (!system) {
    user = e.user || login?.user || '';
    const remote = e.host || login?.host || '';
    const address = e.address ?? login?.address ?? null;
    const remoteIsAddress = isAddress(remote);
    ip = address !== null && (address === remote ? remoteIsAddress : isAddress(address)) ? address : remoteIsAddress ? remote : null;
    domain = !remoteIsAddress && isHostName(remote) ? remote : null;
    if (user !== '') uid = (options.uidOf ?? passwdUid)(user);
    if (remote !== '' && remote !== ip && remote !== domain) otherHost = remote; // an X display, a tmux pane
    message += ` by user ${user || '(unknown)'}`;
    if (uid !== null) message += ` (UID: ${uid})`;
    if (terminal !== '') message += ` on ${line}`;
    if (pid) message += ` (PID: ${pid})`;
    if (remote !== '') message += ` from ${remote}`;
    if (ip !== null && ip !== remote) message += ` (IP: ${ip})`;
  }
  return {
    timestamp, system, end: e.type === 'logout' || e.type === 'shutdown', action: ACTIONS[e.type], dataset: (DATASETS[e.source] ??= `utmpx.${e.source}`),
    outcome: e.type === 'login' ? 'success' : e.type === 'failed' ? 'failure' : null,
    loginStart, duration,
    hostname: options.hostname ?? os.hostname(),
    kernel: system ? e.host || '' : '', // boot records carry the kernel release there
    pid: pid || null, user, uid, ip, domain, message, path: e.path || '',
    terminal, otherHost, session: e.session || null, sessionId: (e.sessionId ?? login?.sessionId) || '', service: e.service || '', ended: e.ended || '',
  };
}

/**
 * An event as an ECS document (plain JSON data: `JSON.stringify` it for one
 * NDJSON line; its strings are the records' own, untrusted). Logins, logouts
 * and failed logins are `authentication` events, boots and shutdowns `host`
 * events. A logout that names the login it ends (its `login`) has
 * `event.start`, `event.end` and `event.duration`.
 *
 * ```ts
 * for await (const e of watch({ signal })) if (e.type !== 'warning' && e.type !== 'gap') ship(ecsDocument(e));
 * ```
 */
export function ecsDocument(e: WatchEvent, options: EcsOptions = {}): Record<string, unknown> {
  const f = ecsFields(e, options);
  const event: Record<string, unknown> = {
    kind: 'event',
    category: [f.system ? 'host' : 'authentication'],
    type: [f.end ? 'end' : 'start'],
    action: f.action,
    module: 'utmpx',
    dataset: f.dataset,
  };
  if (f.outcome !== null) event.outcome = f.outcome;
  if (f.loginStart !== null) {
    event.start = f.loginStart;
    event.end = f.timestamp;
    if (f.duration !== null) event.duration = f.duration;
  }
  const doc: Record<string, unknown> = { '@timestamp': f.timestamp, ecs: { version: ECS_VERSION }, event };
  doc.host = f.kernel !== '' ? { hostname: f.hostname, os: { kernel: f.kernel } } : { hostname: f.hostname };
  if (f.pid !== null) doc.process = { pid: f.pid };
  if (f.user !== '') doc.user = f.uid === null ? { name: f.user } : { name: f.user, id: String(f.uid) };
  if (f.ip !== null || f.domain !== null) {
    const source: Record<string, string> = {};
    if (f.ip !== null) source.ip = f.ip;
    if (f.domain !== null) source.domain = f.domain;
    doc.source = source;
  }
  if (f.user !== '' || f.ip !== null) {
    const related: Record<string, string[]> = {};
    if (f.user !== '') related.user = [f.user];
    if (f.ip !== null) related.ip = [f.ip];
    doc.related = related;
  }
  doc.message = f.message;
  if (f.path !== '') doc.log = { file: { path: f.path } };
  const utmpx: Record<string, unknown> = {};
  if (f.terminal !== '') utmpx.terminal = f.terminal;
  if (f.otherHost !== '') utmpx.host = f.otherHost;
  if (f.session !== null) utmpx.session = f.session;
  if (f.sessionId !== '') utmpx.session_id = f.sessionId;
  if (f.service !== '') utmpx.service = f.service;
  if (f.ended !== '') utmpx.ended = f.ended;
  if (Object.keys(utmpx).length > 0) doc.utmpx = utmpx;
  return doc;
}
