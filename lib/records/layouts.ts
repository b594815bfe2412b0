/**
 * On-disk record layouts, described as data: one decoder reads them all.
 * Offsets come from each platform's headers; the glibc host layout is held to
 * the addon's offsetof() figures by a test.
 */
import * as os from 'os';
import type { TypeNumbering } from '../platform/platform';

export interface IntField {
  offset: number;
  size: 2 | 4 | 8;
  signed: boolean;
}

export interface BytesField {
  offset: number;
  size: number;
}

/** Where each field of a record sits, and how its integers are stored. */
export interface RecordLayout {
  name: LayoutName;
  description: string;
  /** Bytes per record. */
  size: number;
  littleEndian: boolean;
  numbering: TypeNumbering;
  type: IntField;
  pid: IntField;
  line: BytesField;
  id: BytesField;
  user: BytesField;
  host: BytesField;
  exitTermination?: IntField;
  exitStatus?: IntField;
  session?: IntField;
  sec: IntField;
  usec: IntField;
  /** 16 bytes of `ut_addr_v6`, network order. */
  addr?: BytesField;
  /** Text at offset 0 of the first record that marks the format (macOS). */
  signature?: string;
}

export type LayoutName =
  | 'glibc-384-le'
  | 'glibc-384-be'
  | 'glibc-400-le'
  | 'glibc-400-be'
  | 'glibc-384-t64-le'
  | 'macos-628-le'
  | 'macos-628-be';

const s16 = (offset: number): IntField => ({ offset, size: 2, signed: true });
const s32 = (offset: number): IntField => ({ offset, size: 4, signed: true });
const u32 = (offset: number): IntField => ({ offset, size: 4, signed: false });
const s64 = (offset: number): IntField => ({ offset, size: 8, signed: true });

// glibc with 32-bit time fields (x86-64, i386, arm, ...): struct utmp of 384 bytes.
// tv_sec is read unsigned: glibc 2.40+ declares it uint32 (valid to 2106).
function glibc384(littleEndian: boolean): RecordLayout {
  return {
    name: littleEndian ? 'glibc-384-le' : 'glibc-384-be',
    description: `glibc, 32-bit time, 384 bytes, ${littleEndian ? 'little' : 'big'}-endian`,
    size: 384, littleEndian, numbering: 'linux',
    type: s16(0), pid: s32(4), line: { offset: 8, size: 32 }, id: { offset: 40, size: 4 },
    user: { offset: 44, size: 32 }, host: { offset: 76, size: 256 },
    exitTermination: s16(332), exitStatus: s16(334), session: s32(336),
    sec: u32(340), usec: s32(344), addr: { offset: 348, size: 16 },
  };
}

// glibc with 64-bit long (aarch64, loongarch64, s390x): session and timeval are 8 bytes each.
function glibc400(littleEndian: boolean): RecordLayout {
  return {
    name: littleEndian ? 'glibc-400-le' : 'glibc-400-be',
    description: `glibc, 64-bit time, 400 bytes, ${littleEndian ? 'little' : 'big'}-endian`,
    size: 400, littleEndian, numbering: 'linux',
    type: s16(0), pid: s32(4), line: { offset: 8, size: 32 }, id: { offset: 40, size: 4 },
    user: { offset: 44, size: 32 }, host: { offset: 76, size: 256 },
    exitTermination: s16(332), exitStatus: s16(334), session: s64(336),
    sec: s64(344), usec: s64(352), addr: { offset: 360, size: 16 },
  };
}

// Debian 13 armhf (the t64 ABI): programs built with _TIME_BITS=64 see a
// 400-byte struct (8-byte ut_tv at 344), but glibc itself keeps 384-byte
// records and copies the first 384 bytes of theirs: session at 336, 4 bytes of
// padding, tv_sec and tv_usec as int64 at 344 and 352, the address at 360.
// Measured with glibc 2.41 (libc6 2.41-12 armhf) under qemu: see README.
function glibc384t64(): RecordLayout {
  return {
    ...glibc400(true),
    name: 'glibc-384-t64-le',
    description: 'glibc, 32-bit ABI with 64-bit time (Debian 13 armhf), 384 bytes, little-endian',
    size: 384, session: s32(336),
  };
}

// macOS on-disk struct utmpx32: user first, no exit/session/address.
function macos628(littleEndian: boolean): RecordLayout {
  return {
    name: littleEndian ? 'macos-628-le' : 'macos-628-be',
    description: `macOS utmpx32, 628 bytes, ${littleEndian ? 'little' : 'big'}-endian`,
    size: 628, littleEndian, numbering: 'darwin',
    user: { offset: 0, size: 256 }, id: { offset: 256, size: 4 }, line: { offset: 260, size: 32 },
    pid: s32(292), type: s16(296), sec: s32(300), usec: s32(304), host: { offset: 308, size: 256 },
    signature: 'utmpx-1.00',
  };
}

export const LAYOUTS: Readonly<Record<LayoutName, RecordLayout>> = {
  'glibc-384-le': glibc384(true),
  'glibc-384-be': glibc384(false),
  'glibc-400-le': glibc400(true),
  'glibc-400-be': glibc400(false),
  'glibc-384-t64-le': glibc384t64(),
  'macos-628-le': macos628(true),
  'macos-628-be': macos628(false),
};

/** The largest record of any layout (macOS utmpx32's 628 bytes). */
export const MAX_RECORD_BYTES = Math.max(...Object.values(LAYOUTS).map((l) => l.size));

/** CPUs whose glibc keeps 64-bit times in its records (the 400-byte layouts). */
const WIDE_TIME_ARCHS = ['arm64', 'loong64', 's390x', 'ppc64', 'riscv64', 'mips64'];

/** The layout of this machine's own record files: glibc's, by CPU and byte order; null off Linux. */
export function hostLayoutName(): LayoutName | null {
  if (process.platform !== 'linux') return null;
  const littleEndian = os.endianness() === 'LE';
  return WIDE_TIME_ARCHS.includes(process.arch) ? (littleEndian ? 'glibc-400-le' : 'glibc-400-be') : littleEndian ? 'glibc-384-le' : 'glibc-384-be';
}

let host: RecordLayout | null | undefined;

/** The layout of this machine's own record files (glibc only; null elsewhere). */
export function hostLayout(): RecordLayout | null {
  if (host === undefined) {
    const name = hostLayoutName();
    host = name === null ? null : LAYOUTS[name];
  }
  return host;
}

/** Reads one integer field of the record that begins at byte `at`. */
export type IntReader = (buf: Buffer, at: number) => number;

/**
 * A reader specialised for one field: its offset, size, sign and byte order
 * fixed, integers assembled from bytes (no bounds-checked method calls, and
 * no BigInt while a 64-bit value fits a double's 53 bits).
 */
export function intReader(f: IntField, littleEndian: boolean): IntReader {
  const d = f.offset;
  if (f.size === 2) {
    const read = littleEndian
      ? (b: Buffer, o: number) => b[o] | (b[o + 1] << 8)
      : (b: Buffer, o: number) => (b[o] << 8) | b[o + 1];
    return f.signed ? (b, at) => (read(b, at + d) << 16) >> 16 : (b, at) => read(b, at + d);
  }
  if (f.size === 4) {
    const read = littleEndian
      ? (b: Buffer, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)
      : (b: Buffer, o: number) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
    return f.signed ? (b, at) => read(b, at + d) : (b, at) => read(b, at + d) >>> 0;
  }
  return (b, at) => {
    const o = at + d;
    const hi = littleEndian ? b.readInt32LE(o + 4) : b.readInt32BE(o);
    const lo = littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o + 4);
    if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
    return Number(littleEndian ? b.readBigInt64LE(o) : b.readBigInt64BE(o));
  };
}

// The four fields detection looks at, with their readers, per layout.
interface Probe { layout: RecordLayout; type: IntReader; pid: IntReader; sec: IntReader; usec: IntReader }
const probe = (l: RecordLayout): Probe => ({
  layout: l,
  type: intReader(l.type, l.littleEndian),
  pid: intReader(l.pid, l.littleEndian),
  sec: intReader(l.sec, l.littleEndian),
  usec: intReader(l.usec, l.littleEndian),
});

// How much a record looks like one of `layout`: 0 (garbage, or zeros) to 5.
// Zeros earn nothing, so zero-filled bytes cannot make a wrong layout win.
function plausibility(buf: Buffer, at: number, p: Probe): number {
  const type = p.type(buf, at);
  const usec = p.usec(buf, at);
  if (type < 0 || type > 11 || p.pid(buf, at) < 0 || usec < 0 || usec >= 1_000_000) return 0;
  const sec = p.sec(buf, at);
  let score = 1;
  if (type > 0) score++;
  if (sec >= 315532800 && sec < 4294967296) score += 2; // 1980 .. 2106
  if (usec > 0) score++;
  return score;
}

/** Records looked at to recognise a layout. */
const PROBED_RECORDS = 32;

/**
 * The common case, decided early: the file divides into host-sized records
 * and its first few all look right (a plausible type and a time after 1980).
 * A file in another layout fails this at its first misaligned record.
 */
function looksLikeHost(head: Buffer, fileSize: number, host: RecordLayout): boolean {
  if (fileSize === 0 || fileSize % host.size !== 0) return false;
  const p = FIXED.find((f) => f.layout === host)!;
  const count = Math.min(Math.floor(head.length / host.size), 8);
  for (let i = 0; i < count; i++) if (plausibility(head, i * host.size, p) < 3) return false;
  return count > 0;
}

const MACOS = [LAYOUTS['macos-628-le'], LAYOUTS['macos-628-be']];
const FIXED = Object.values(LAYOUTS).filter((l) => !l.signature).map(probe);

/**
 * Picks the layout a file most likely uses, from its first bytes and its
 * size: the macOS signature first, then how plausible the first records look
 * (types, pids, microseconds and times in range) and whether the size divides.
 */
export function detectLayout(head: Buffer, fileSize: number): RecordLayout {
  for (const layout of MACOS) {
    if (head.length >= layout.size && head.toString('latin1', 0, layout.signature!.length) === layout.signature) {
      const type = intReader(layout.type, layout.littleEndian)(head, 0);
      if (type === 10) return layout; // SIGNATURE in macOS numbering
    }
  }
  const host = hostLayout() ?? LAYOUTS['glibc-384-le'];
  if (looksLikeHost(head, fileSize, host)) return host;
  let best = host;
  let bestScore = -1;
  for (const p of FIXED) {
    const layout = p.layout;
    const count = Math.min(Math.floor(head.length / layout.size), PROBED_RECORDS);
    if (count === 0) continue;
    let score = 0;
    for (let i = 0; i < count; i++) score += plausibility(head, i * layout.size, p);
    // Normalise to records seen, then reward a size that divides evenly.
    let normalised = score / (count * 5);
    if (fileSize % layout.size === 0) normalised += 0.1;
    if (layout === host) normalised += 0.01;
    if (normalised > bestScore) { best = layout; bestScore = normalised; }
  }
  return best;
}
