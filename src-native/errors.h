// Node-style errors from errno: an Error with `code`, `errno`, `syscall` and
// `path`, as fs.readFileSync throws them; and the checks of arguments, which
// throw TypeError.
#pragma once

#include <napi.h>
#include <sys/stat.h>
#include <optional>
#include <string>

namespace utmpx_addon {

// The "errno" of a path that names no regular file (a FIFO, a device, a
// socket): Node's code EFTYPE, errno libuv's UV_EFTYPE (-4028 where the OS
// has no EFTYPE). Readers refuse such paths before reading: a FIFO would
// block, /dev/zero never ends.
constexpr int kNotRegularFile = 100000;
constexpr int kUvEftype = -4028;

// What a failed libc call left behind, captured on the thread that made it.
struct SysError {
  int errnum = 0;
  const char* syscall = "";
  std::string path;
  bool failed() const { return errnum != 0; }
};

Napi::Error MakeErrnoError(Napi::Env env, const SysError& err);

// The optional `path` argument of every reader: undefined/null for the
// platform's default, else a non-empty string without NUL (TypeError if not).
// Opens `path` for reading without blocking (a FIFO with no writer would
// block open), and fstats it: the descriptor of a regular file (*st filled),
// or -1 with *err set (EISDIR for a directory, kNotRegularFile for any other
// kind of file).
int OpenRegularFile(const std::string& path, struct stat* st, SysError* err);

std::optional<std::string> PathArgument(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
