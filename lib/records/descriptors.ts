/**
 * The descriptors readers keep open between reads, bounded: a reader dropped
 * without close() (a `next()` to peek at the first record, on every poll)
 * must not hold its descriptor until the process runs out. Readers register
 * each descriptor they keep; past MAX_KEPT, the one used least recently is
 * closed (its reader reopens the file at its next read). No garbage
 * collection is involved: the bound holds however readers are dropped.
 */

/** Something that keeps a descriptor open between reads. */
export interface DescriptorHolder {
  /** Close the descriptor now (or once reads in flight end); the next read reopens. */
  letGo(): void;
}

/** Descriptors kept at most by readers between their reads. */
export const MAX_KEPT = 32;

// Insertion order is the order of last use: the first is the least recent.
const kept = new Set<DescriptorHolder>();

/** `holder` keeps a descriptor and just used it. */
export function keeping(holder: DescriptorHolder): void {
  kept.delete(holder);
  kept.add(holder);
  if (kept.size > MAX_KEPT) {
    const oldest = kept.values().next().value!;
    kept.delete(oldest);
    oldest.letGo();
  }
}

/** `holder` closed its descriptor. */
export function closed(holder: DescriptorHolder): void {
  kept.delete(holder);
}
