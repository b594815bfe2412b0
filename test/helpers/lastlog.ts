/** Hand-made lastlog records, laid out as the addon was built to read them. */
import { native } from '../../lib/platform/native';

/** sizeof(struct lastlog) as the addon was built for it (292 bytes on x86-64 glibc). */
export const LASTLOG_RECORD = (native() as unknown as { lastlog: { recordSize: number } }).lastlog.recordSize;

/**
 * A hand-made record, laid out as DESIGN.md measured `struct lastlog` on
 * x86-64 glibc: int32 time at 0, line[32] at 4, host[256] at 36 (292 bytes);
 * ABIs with a 64-bit ll_time have an int64 there instead (296 bytes).
 */
export function lastlogRecord(time: number, line: string | Buffer, host: string | Buffer): Buffer {
  const t = LASTLOG_RECORD === 296 ? 8 : 4;
  const b = Buffer.alloc(t + 32 + 256);
  if (t === 8) b.writeBigInt64LE(BigInt(time), 0);
  else b.writeInt32LE(time, 0);
  (typeof line === 'string' ? Buffer.from(line) : line).copy(b, t, 0, 32);
  (typeof host === 'string' ? Buffer.from(host) : host).copy(b, t + 32, 0, 256);
  return b;
}
