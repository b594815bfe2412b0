/**
 * How the CLI reads a -f FILE: `-` is stdin, and the descriptors a shell
 * hands over (`/dev/stdin`, `/dev/fd/N` as bash's `<(zcat wtmp.1.gz)` makes)
 * are read as streams; compressed files (gzip; zstd where Node has it) are
 * recognised by their first bytes. Both are read asynchronously. A named
 * FIFO elsewhere stays refused (EFTYPE), as every reader refuses it.
 */
import * as fs from 'fs';
import { compressionOf } from '../records/compressed';
import { fileHead } from '../records/record-file';
import { handedOverFd } from '../records/stream-cursor';

/** The file to open for `file` (`-` is /dev/stdin), and whether it must be read asynchronously as a stream. */
export interface CliInput {
  path: string | undefined;
  /** Read as a stream (`stream: true`). */
  stream: boolean;
  /** Read only asynchronously (a stream, or a compressed file). */
  async: boolean;
}

export function cliInput(file: string | undefined): CliInput {
  if (file === undefined) return { path: undefined, stream: false, async: false };
  if (file === '-' || handedOverFd(file) !== null) {
    const path = file === '-' ? '/dev/stdin' : file;
    // A regular file redirected to stdin is read as a file (it may be compressed).
    if (!isRegular(path)) return { path, stream: true, async: true };
    return { path, stream: false, async: isCompressed(path) };
  }
  return { path: file, stream: false, async: isCompressed(file) };
}

function isRegular(path: string): boolean {
  try {
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

// The first bytes of a regular file (anything else is left to the reader's own error).
function isCompressed(path: string): boolean {
  const head = fileHead(path, 6);
  return head !== null && compressionOf(head, head.length) !== null;
}
