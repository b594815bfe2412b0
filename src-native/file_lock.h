// Advisory read locks on an open file, as glibc's utmp readers take them, so
// the JS decoder never reads a record that a writer is halfway through.
#pragma once

#include <napi.h>
#include <sys/stat.h>

#include <string>

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
// readSmallFile wait for a writer: retry at once `spins` times, then once a
// millisecond for `waitMs`.
Napi::Object LockPolicy(Napi::Env env);
// readSmallFile(path, limit, into, keep?) -> number | null: a whole
// file of at most `limit` bytes in one call (open, fstat, read lock, read,
// unlock, close), the way a live utmp is best read, into the caller's Buffer:
// the bytes read. A negative number -n when `into` is smaller than the n bytes
// needed (the file plus room to see its end): call again with a larger one.
// null when the file is larger than `limit`, grows while read, is not a
// regular file, cannot be locked (a writer holds it past the lock policy, as
// readLock) or read: the caller then streams it, and reports any error as fs
// does. With `keep`, the descriptor stays open for the next call on the same
// path (a KeptFile), which then only stats the path to see that the file is
// still the same: one kept per Node environment, closed by releaseSmallFile()
// and when the environment ends.
Napi::Value ReadSmallFile(const Napi::CallbackInfo& info);
// releaseSmallFile(): closes the descriptor readSmallFile kept, if any.
Napi::Value ReleaseSmallFile(const Napi::CallbackInfo& info);

// For the other readers of the addon: a read lock on `fd` as readLock(fd,
// wait) takes it, and its release.
enum class LockResult { kLocked, kBusy, kUnsupported };
LockResult TakeReadLock(int fd, bool wait);
void ReleaseReadLock(int fd);

// The descriptor readSmallFile keeps: the function data of readSmallFile and
// releaseSmallFile, made in Init, freed by an environment cleanup hook.
struct KeptFile {
  std::string path;
  int fd = -1;
  struct stat st;  // when opened
  void Close();
};

}  // namespace utmpx_addon
