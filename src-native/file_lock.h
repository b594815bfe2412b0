// Advisory read locks on an open file, as glibc's utmp readers take them, so
// the JS decoder never reads a record that a writer is halfway through.
#pragma once

#include <napi.h>

namespace utmpx_addon {

// tryReadLock(fd) -> true (locked), false (a writer holds the file), or null
// (no locks here, e.g. NFS without lockd): never blocks.
Napi::Value TryReadLock(const Napi::CallbackInfo& info);
// unlock(fd): releases what tryReadLock took.
Napi::Value Unlock(const Napi::CallbackInfo& info);
// readSmallFile(path, limit, into) -> number | null: a whole file of at most
// `limit` bytes in one call (open, fstat, read lock, read, unlock, close), the
// way a live utmp is best read, into the caller's Buffer: the bytes read. A
// negative number -n when `into` is smaller than the n bytes needed (the file
// plus room to see its end): call again with a larger one. null when the file
// is larger than `limit`, grows while read, is not a regular file, cannot be
// locked or read: the caller then streams it, and reports any error as fs does.
Napi::Value ReadSmallFile(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
