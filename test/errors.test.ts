/**
 * Errors made in one place (lib/errors.ts): an error given more to say is a
 * new error whose stack shows the message it has, with the first as `cause`.
 */
import * as fs from 'fs';
import { explainDenied, explainMissing } from '../lib/functions';
import { withPath } from '../lib/model/errors';
import { UtmpFile } from '../lib';

function fsError(): NodeJS.ErrnoException {
  try {
    fs.readFileSync('/no/such/file/here');
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('unreachable');
}

test('advice makes a new error: same code, errno, syscall and path, its stack shows the new message, cause the first', () => {
  const first = fsError();
  const denied = { ...first, message: first.message, code: 'EACCES' } as NodeJS.ErrnoException;
  for (const [given, made] of [
    [first, explainMissing(first, new UtmpFile('/no/such/file/here'), undefined) as NodeJS.ErrnoException],
    [denied, explainDenied(denied) as NodeJS.ErrnoException],
  ] as const) {
    expect(made).not.toBe(given);
    expect(made.cause).toBe(given);
    expect(given.message).not.toBe(made.message); // the first is left as it was
    expect({ code: made.code, errno: made.errno, syscall: made.syscall, path: made.path })
      .toEqual({ code: given.code, errno: given.errno, syscall: given.syscall, path: given.path });
    expect(made.stack!.split('\n')[0]).toBe(`Error: ${made.message}`);
  }
  expect(explainDenied(first)).toBe(first); // nothing to add: the same error
});

test('withPath names the path of an error fs made without one', () => {
  const bare = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' });
  const named = withPath(bare, '/var/log/wtmp') as NodeJS.ErrnoException;
  expect(named).toMatchObject({ code: 'EIO', errno: -5, syscall: 'read', path: '/var/log/wtmp', cause: bare });
  expect(named.message).toBe("EIO: i/o error, read, '/var/log/wtmp'");
  expect(bare.message).toBe('EIO: i/o error, read');
  const withOne = fsError();
  expect(withPath(withOne, '/elsewhere')).toBe(withOne);
});
