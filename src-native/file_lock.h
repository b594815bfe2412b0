// Advisory read locks on an open file, as glibc's utmp readers take them, so
// the JS decoder never reads a record that a writer is halfway through.
#pragma once

#include <napi.h>
#include <sys/stat.h>

#include <mutex>
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
// readSmallFileAsync(path, limit, keep?) -> Promise<Buffer | null>: the
// same read on the libuv pool, into a Buffer of its own (the bytes read).
Napi::Value ReadSmallFileAsync(const Napi::CallbackInfo& info);
// releaseSmallFile(): closes the descriptor readSmallFile kept, if any.
Napi::Value ReleaseSmallFile(const Napi::CallbackInfo& info);

// For the other readers of the addon: a read lock on `fd` as readLock(fd,
// wait) takes it, and its release.
enum class LockResult { kLocked, kBusy, kUnsupported };
LockResult TakeReadLock(int fd, bool wait);
void ReleaseReadLock(int fd);

// The descriptor readSmallFile keeps: the function data (a
// std::shared_ptr<KeptFile>*) of readSmallFile, readSmallFileAsync and
// releaseSmallFile, made in Init, closed by an environment cleanup hook
// (after which nothing is kept: `ended`). Used by the main thread and the
// pool: `mutex` guards it.
struct KeptFile {
  std::mutex mutex;
  std::string path;
  int fd = -1;
  struct stat st;  // when opened
  bool ended = false;
  void Close();
};

}  // namespace utmpx_addon
