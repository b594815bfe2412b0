// users({ dropStale }) remembers leaders found gone (one kill() per live
// session, not per stale entry) only while the kernel's pid cursor has not
// passed them: lib/platform/processes.ts, GoneLeaders.
import { spawnSync } from 'child_process';
import { GoneLeaders, leadersAlive } from '../lib/platform/processes';
import type { NativeAddon } from '../lib/platform/native';
import { tryNative } from '../lib/platform/native';

// An addon whose kernel is played by the test: the last pid handed out, and the pids that run.
function fakeKernel(lastPid: number, running: number[]) {
  const kernel = { lastPid, running: new Set(running), asked: [] as number[][] };
  const addon = {
    lastPid: () => kernel.lastPid,
    leadersAlive: (pids: Int32Array) => {
      kernel.asked.push([...pids]);
      return Uint8Array.from(pids, (p) => (p <= 0 || kernel.running.has(p) ? 1 : 0));
    },
  } as unknown as NativeAddon;
  return { kernel, addon };
}

const alive = (pids: number[], addon: NativeAddon | null, gone: GoneLeaders) => [...leadersAlive(Int32Array.from(pids), addon, gone)];

test('a leader found gone is not asked again while no pid has been handed out', () => {
  const { kernel, addon } = fakeKernel(5000, [100]);
  const gone = new GoneLeaders();
  expect(alive([100, 200, 300, 0], addon, gone)).toEqual([1, 0, 0, 1]);
  expect(alive([100, 200, 300, 0], addon, gone)).toEqual([1, 0, 0, 1]);
  // The live one and the unknown pid are asked each time; the gone ones once.
  expect(kernel.asked).toEqual([[100, 200, 300, 0], [100, 0]]);
});

test('a gone pid the cursor has passed is asked again, and found running', () => {
  const { kernel, addon } = fakeKernel(5000, []);
  const gone = new GoneLeaders();
  expect(alive([4000, 5100, 6000], addon, gone)).toEqual([0, 0, 0]);
  // Pids 5001..5200 handed out; 5100 is a new process.
  kernel.lastPid = 5200;
  kernel.running.add(5100);
  expect(alive([4000, 5100, 6000], addon, gone)).toEqual([0, 1, 0]);
  expect(kernel.asked[1]).toEqual([5100]);
});

test('a cursor that wrapped past pid_max makes both ends suspect', () => {
  const { kernel, addon } = fakeKernel(30000, []);
  const gone = new GoneLeaders();
  expect(alive([400, 20000, 31000], addon, gone)).toEqual([0, 0, 0]);
  // 30001..pid_max, then 300..500: 400 and 31000 may be new, 20000 not.
  kernel.lastPid = 500;
  kernel.running.add(400).add(31000);
  expect(alive([400, 20000, 31000], addon, gone)).toEqual([1, 0, 1]);
  expect(kernel.asked[1]).toEqual([400, 31000]);
});

test('without the kernel\'s cursor nothing is remembered', () => {
  const { kernel, addon } = fakeKernel(-1, []);
  const gone = new GoneLeaders();
  alive([100, 200], addon, gone);
  alive([100, 200], addon, gone);
  expect(kernel.asked).toEqual([[100, 200], [100, 200]]);
});

test('a long gap between calls forgets the gone (the cursor may have gone round)', () => {
  const gone = new GoneLeaders();
  gone.advance(5000, 0);
  gone.add(100);
  gone.advance(5000, 500);
  expect(gone.has(100)).toBe(true);
  gone.advance(5000, 500 + 1001);
  expect(gone.has(100)).toBe(false);
  // Polled often enough, the memory lasts.
  gone.add(100);
  for (let t = 2000; t < 10_000; t += 900) gone.advance(5000, t);
  expect(gone.has(100)).toBe(true);
});

const addon = tryNative();
(addon?.lastPid && addon.lastPid() >= 0 ? test : test.skip)('the addon reads the kernel\'s cursor: a new process moves it to its pid or past', () => {
  const before = addon!.lastPid!();
  const pid = spawnSync('true').pid!;
  const after = addon!.lastPid!();
  expect(after).not.toBe(before);
  // Pids are handed out upward from the cursor, wrapping at pid_max.
  if (after > before) expect(pid > before && pid <= after).toBe(true);
  // And the real kill(): an exited process is gone, this one runs.
  expect(alive([pid, process.pid], addon, new GoneLeaders())).toEqual([0, 1]);
});
