// Node-style errors from errno: an Error with `code`, `errno`, `syscall` and
// `path`, as fs.readFileSync throws them.
#pragma once

#include <napi.h>
#include <string>

namespace utmpx_addon {

// What a failed libc call left behind, captured on the thread that made it.
struct SysError {
  int errnum = 0;
  const char* syscall = "";
  std::string path;
  bool failed() const { return errnum != 0; }
};

Napi::Error MakeErrnoError(Napi::Env env, const SysError& err);

}  // namespace utmpx_addon
