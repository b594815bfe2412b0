/** The decoder's layout tables, held to the compiler's view of struct utmpx. */
import { LAYOUTS, detectLayout, hostLayout } from '../lib';
import { native } from '../lib/platform/native';
import { testUnless } from './helpers/tools';

const glibc = native().platform === 'glibc';

testUnless(glibc ? null : `not glibc (${native().platform}): no struct utmpx to hold the layout to`)('the host layout matches the addon\'s sizeof/offsetof of struct utmpx', () => {
  const layout = hostLayout()!;
  const c = native().structLayout as Record<string, { offset: number; size: number }> & { size: number };
  expect(layout.size).toBe(c.size);
  for (const name of ['type', 'pid', 'line', 'id', 'user', 'host', 'exitTermination', 'exitStatus', 'session', 'sec', 'usec', 'addr'] as const) {
    const field = layout[name]!;
    expect({ name, offset: field.offset, size: field.size }).toEqual({ name, offset: c[name].offset, size: c[name].size });
  }
});

test('every layout keeps every field inside the record', () => {
  for (const layout of Object.values(LAYOUTS)) {
    for (const [name, f] of Object.entries(layout)) {
      if (f && typeof f === 'object' && 'offset' in f) {
        expect({ layout: layout.name, name, end: f.offset + f.size <= layout.size }).toEqual({ layout: layout.name, name, end: true });
      }
    }
  }
});

test('an empty or all-zero file falls back to the host layout', () => {
  const host = hostLayout()!.name;
  expect(detectLayout(Buffer.alloc(0), 0).name).toBe(host);
  expect(detectLayout(Buffer.alloc(384 * 25), 384 * 25).name).toBe(host);
});
