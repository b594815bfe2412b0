// Advisory read locks on an open file, as glibc's utmp readers take them, so
// the JS decoder never reads a record that a writer is halfway through.
#pragma once

#include <napi.h>

namespace utmpx_addon {

// readLock(fd, wait = true) -> true (locked), false (a writer holds the
// file), or null (no locks here, e.g. NFS without lockd). With `wait`, a
// writer is waited for as LockPolicy says, blocking the calling thread. A
// writer still holding the file after that is taken to be stuck: that file is
// remembered (process-wide), and no reader waits for it again until one finds
// it unlocked or the file changes (size, ctime).
Napi::Value ReadLock(const Napi::CallbackInfo& info);
// readLockAsync(fd) -> Promise of readLock(fd, true), waiting on the libuv pool.
Napi::Value ReadLockAsync(const Napi::CallbackInfo& info);
// unlock(fd): releases what readLock or readLockAsync took.
Napi::Value Unlock(const Napi::CallbackInfo& info);
// lockPolicy: { spins, waitMs }, how long readLock, readLockAsync and
// readSmallFile (small_file.h) wait for a writer: retry at once `spins`
// times, then once a millisecond for `waitMs`.
Napi::Object LockPolicy(Napi::Env env);
// For the other readers of the addon: a read lock on `fd` as readLock(fd,
// wait) takes it, and its release.
enum class LockResult { kLocked, kBusy, kUnsupported };
LockResult TakeReadLock(int fd, bool wait);
void ReleaseReadLock(int fd);

}  // namespace utmpx_addon
