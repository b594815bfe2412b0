// Whole reads of small files (a live utmp) in one call of the addon, under
// the read lock of file_lock.h, sync or on the libuv pool.
#pragma once

#include <napi.h>
#include <sys/stat.h>

#include <mutex>
#include <string>

namespace utmpx_addon {

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
