// Advisory read locks on an open file, as glibc's utmp readers take them, so
// the JS decoder never reads a record that a writer is halfway through.
#pragma once

#include <napi.h>
#include <sys/stat.h>

#include <string>

namespace utmpx_addon {

// tryReadLock(fd) -> true (locked), false (a writer holds the file), or null
// (no locks here, e.g. NFS without lockd): never blocks.
Napi::Value TryReadLock(const Napi::CallbackInfo& info);
// readLock(fd) -> as tryReadLock, but waits for a writer as LockPolicy says
// (blocking the calling thread: for synchronous readers).
Napi::Value ReadLock(const Napi::CallbackInfo& info);
// unlock(fd): releases what tryReadLock or readLock took.
Napi::Value Unlock(const Napi::CallbackInfo& info);
// lockPolicy: { spins, waitMs }, how long readLock and readSmallFile wait for
// a writer: retry at once `spins` times, then once a millisecond for `waitMs`.
// Asynchronous readers, which wait on timers in JS, follow the same.
Napi::Object LockPolicy(Napi::Env env);
// readSmallFile(path, limit, into, keep?) -> number | false | null: a whole
// file of at most `limit` bytes in one call (open, fstat, read lock, read,
// unlock, close), the way a live utmp is best read, into the caller's Buffer:
// the bytes read. A negative number -n when `into` is smaller than the n bytes
// needed (the file plus room to see its end): call again with a larger one.
// false when a writer held the file past the lock policy. null when the file
// is larger than `limit`, grows while read, is not a regular file, cannot be
// locked or read. Either way the caller then streams it (without waiting for
// the writer again), and reports any error as fs does. With `keep`, the
// descriptor stays open for the next call on the same path (a KeptFile),
// which then only stats the path to see that the file is still the same: one
// kept per Node environment, closed by releaseSmallFile() and when the
// environment ends.
Napi::Value ReadSmallFile(const Napi::CallbackInfo& info);
// releaseSmallFile(): closes the descriptor readSmallFile kept, if any.
Napi::Value ReleaseSmallFile(const Napi::CallbackInfo& info);

// The descriptor readSmallFile keeps: the function data of readSmallFile and
// releaseSmallFile, made in Init, freed by an environment cleanup hook.
struct KeptFile {
  std::string path;
  int fd = -1;
  struct stat st;  // when opened
  void Close();
};

}  // namespace utmpx_addon
