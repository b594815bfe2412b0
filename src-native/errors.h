// Node-style errors from errno: an Error with `code`, `errno`, `syscall` and
// `path`, as fs.readFileSync throws them; and the checks of arguments, which
// throw TypeError.
#pragma once

#include <napi.h>
#include <optional>
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

// The optional `path` argument of every reader: undefined/null for the
// platform's default, else a non-empty string without NUL (TypeError if not).
std::optional<std::string> PathArgument(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
