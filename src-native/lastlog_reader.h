// Reads the last-login database: one record by uid or name (no scan), or the
// logged-in users in batches, walking only the written parts of a sparse file.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"

namespace utmpx_addon {

// readLastlog(path: string | undefined, key: uid | name)
//   -> { uid: number | null, record: object | null, fileSize }
Napi::Value ReadLastlogSync(const Napi::CallbackInfo& info);
// The same, read on the libuv pool; resolves to the same object.
Napi::Value ReadLastlogAsync(const Napi::CallbackInfo& info);
// scanLastlog(path: string | undefined, offset, maxRecords, names = true)
//   -> { records, next, done, fileSize }: records with a login from byte
//   `offset` on; call again from `next` until `done`.
Napi::Value ScanLastlogSync(const Napi::CallbackInfo& info);
// The same, read on the libuv pool.
Napi::Value ScanLastlogAsync(const Napi::CallbackInfo& info);
// { recordSize, source }: sizeof(struct lastlog) for the file reader
// (0 elsewhere) and which reader this platform uses.
Napi::Object LastlogInfo(Napi::Env env);

// ---- The per-OS reader ----------------------------------------------------
// lastlog_reader.cc is what every OS shares: the functions above, their
// argument checks, the workers, the records' conversion to JS and the passwd
// lookups. One file per OS implements the three functions below, and
// binding.gyp builds the one for its OS: lastlog_linux.cc (a file of struct
// lastlog, read with pread), lastlog_freebsd.cc (setutxdb(UTXDB_LASTLOGIN)),
// lastlog_macos.cc (getlastlogx) or lastlog_other.cc (none: ENOSYS).
// They run on the libuv pool too, so they make no Node-API call.

// One last login, whatever the platform's source.
struct LastlogRecord {
  double uid = -1;  // -1: not known (FreeBSD record whose name no longer resolves)
  double time = 0;  // seconds since the epoch
  std::string line;
  std::string host;
  std::string user;
  bool has_user = false;
};

// A uid or a user name, as get() was given it.
struct LastlogKey {
  std::optional<uint32_t> uid;
  std::string name;
};

// The record format of a Linux lastlog file: glibc's `struct lastlog` of the
// machine that wrote it. `ll_time` is 4 bytes on x86-64, i386 and armhf (292-byte
// records) and 8 on aarch64 and s390x (296); s390x is big-endian. time_size 0:
// this machine's own struct lastlog.
struct LastlogFormat {
  uint32_t time_size = 0;
  bool big_endian = false;
};

// The database asked for: the path given (none: the system's), the name
// errors carry (the path, or the platform's default one) and, for a file from
// another machine, its record format.
struct LastlogPath {
  std::optional<std::string> given;
  std::string shown;
  LastlogFormat format;
};

struct LastlogRead {
  std::optional<double> uid;  // the uid asked for or resolved; none for an unknown name
  std::optional<LastlogRecord> record;
  double file_size = 0;
  SysError error;
};

struct LastlogScan {
  std::vector<LastlogRecord> records;
  double next = 0;
  bool done = false;
  double file_size = 0;
  SysError error;
};

struct LastlogSource {
  const char* name;    // "file", "utxdb", "getlastlogx" or "none"
  double record_size;  // sizeof(struct lastlog) for "file", else 0
};

// The last login of one user.
LastlogRead PlatformReadLastlog(const LastlogPath& path, const LastlogKey& key);
// Records with a login from `offset` on, at most `max_records` of them;
// `names`: resolve uids to account names (ResolveName) where the records
// lack them.
LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t max_records, bool names);
LastlogSource PlatformLastlogSource();

// Shared by the OS files, in lastlog_reader.cc. Lookup failures of
// ResolveName only leave the name out: they never cost a record.
void ResolveName(LastlogRecord* r);
// The uid of account `name`, none when no account has it; *rc is the
// lookup's error number (0 also for "no such account").
std::optional<uint32_t> UidOfName(const std::string& name, int* rc);
// The uid of a name (none when no account has it), or the uid given; a
// failed lookup sets *err (getpwnam_r, `path`).
std::optional<uint32_t> KeyUid(const LastlogKey& key, const std::string& path, SysError* err);

}  // namespace utmpx_addon
