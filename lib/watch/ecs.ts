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
const MESSAGES: Record<WatchEvent['type'], string> = {
  login: 'Login', logout: 'Logout', failed: 'Failed login', boot: 'System boot', shutdown: 'System shutdown',
};

const LABEL = /^[A-Za-z0-9-]{1,63}$/;

/** An IP address as text; anything longer than one can be (with a zone) is not, and never meets Node's slow IPv6 pattern. */
const isAddress = (s: string) => s.length <= 64 && (s.includes('.') || s.includes(':')) && isIP(s) !== 0;

/**
 * A DNS name (labels of letters, digits and inner hyphens, dots between): not
 * an X display (`:0`), a tmux pane (`tmux(4004).%0`) or `user@host`. Checked
 * label by label, in time linear in its length (a host name comes from whoever
 * controls the client's reverse DNS).
 */
function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = (s.endsWith('.') ? s.slice(0, -1) : s).split('.');
  return labels.every((l) => LABEL.test(l) && l[0] !== '-' && l[l.length - 1] !== '-');
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
  const system = e.type === 'boot' || e.type === 'shutdown';
  const login = e.login;
  const event: Record<string, unknown> = {
    kind: 'event',
    category: [system ? 'host' : 'authentication'],
    type: [e.type === 'logout' || e.type === 'shutdown' ? 'end' : 'start'],
    action: ACTIONS[e.type],
    module: 'utmpx',
    dataset: `utmpx.${e.source}`,
  };
  if (e.type === 'login') event.outcome = 'success';
  else if (e.type === 'failed') event.outcome = 'failure';
  if (login) {
    event.start = login.time.toISOString();
    event.end = e.time.toISOString();
    const nanoseconds = Math.max(0, e.time.getTime() - login.time.getTime()) * 1e6;
    if (nanoseconds < 2 ** 63) event.duration = nanoseconds; // a long; only times no clock wrote go past it
  }
  const doc: Record<string, unknown> = {
    '@timestamp': e.time.toISOString(),
    ecs: { version: ECS_VERSION },
    event,
  };
  const host: Record<string, unknown> = { hostname: options.hostname ?? os.hostname() };
  doc.host = host;
  const utmpx: Record<string, unknown> = {};
  const line = e.line || login?.line || '';
  if (line !== '' && line !== '~') utmpx.terminal = line;
  const pid = e.pid ?? login?.pid;
  if (pid) doc.process = { pid };

  let sentence = MESSAGES[e.type];
  if (system) {
    if (e.host) host.os = { kernel: e.host }; // boot records carry the kernel release there
  } else {
    const user = e.user || login?.user || '';
    const remote = e.host || login?.host || '';
    const address = e.address ?? login?.address ?? null;
    const remoteIsAddress = isAddress(remote);
    const ip = address !== null && isAddress(address) ? address : remoteIsAddress ? remote : null;
    const domain = !remoteIsAddress && isHostName(remote) ? remote : null;
    let uid: number | null = null;
    if (user !== '') {
      uid = (options.uidOf ?? passwdUid)(user);
      doc.user = uid === null ? { name: user } : { name: user, id: String(uid) };
    }
    if (ip !== null || domain !== null) {
      const source: Record<string, string> = {};
      if (ip !== null) source.ip = ip;
      if (domain !== null) source.domain = domain;
      doc.source = source;
    }
    if (remote !== '' && remote !== ip && remote !== domain) utmpx.host = remote; // an X display, a tmux pane
    const related: Record<string, string[]> = {};
    if (user !== '') related.user = [user];
    if (ip !== null) related.ip = [ip];
    if (user !== '' || ip !== null) doc.related = related;
    sentence += ` by user ${user || '(unknown)'}`;
    if (uid !== null) sentence += ` (UID: ${uid})`;
    if (utmpx.terminal !== undefined) sentence += ` on ${line}`;
    if (pid) sentence += ` (PID: ${pid})`;
    if (remote !== '') sentence += ` from ${remote}`;
    if (ip !== null && ip !== remote) sentence += ` (IP: ${ip})`;
  }
  doc.message = sentence;
  if (e.path) doc.log = { file: { path: e.path } };
  if (e.session) utmpx.session = e.session;
  if (e.sessionId ?? login?.sessionId) utmpx.session_id = e.sessionId ?? login?.sessionId;
  if (e.service) utmpx.service = e.service;
  if (e.ended) utmpx.ended = e.ended;
  if (Object.keys(utmpx).length > 0) doc.utmpx = utmpx;
  return doc;
}
