#include "errors.h"

#include <cerrno>
#include <cstring>

namespace utmpx_addon {

namespace {

const char* ErrnoName(int errnum) {
  switch (errnum) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case EIO: return "EIO";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "EUNKNOWN";
  }
}

// A hint on what to do, for the errors users meet most.
const char* Advice(int errnum) {
  switch (errnum) {
    case ENOENT: return " (no such file: this system may keep no such database)";
    case EACCES:
    case EPERM: return " (permission denied: btmp and some wtmp files are readable only by root)";
    case EISDIR: return " (it is a directory: pass the path of a record file)";
    default: return "";
  }
}

// strerror_r has two signatures: GNU returns the text, XSI (musl, macOS,
// FreeBSD) returns 0 and fills buf. Overloading on the result compiles on both.
[[maybe_unused]] const char* StrerrorText(const char* gnu_result, const char*) { return gnu_result; }
[[maybe_unused]] const char* StrerrorText(int xsi_result, const char* buf) {
  return xsi_result == 0 ? buf : "Unknown error";
}

}  // namespace

Napi::Error MakeErrnoError(Napi::Env env, const SysError& err) {
  char buf[256];
  const char* text = StrerrorText(strerror_r(err.errnum, buf, sizeof buf), buf);
  const char* code = ErrnoName(err.errnum);
  std::string message = std::string(code) + ": " + text + ", " + err.syscall + " '" + err.path + "'" +
                        Advice(err.errnum);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err.errnum));
  error.Set("syscall", Napi::String::New(env, err.syscall));
  error.Set("path", Napi::String::New(env, err.path));
  return error;
}

std::optional<std::string> PathArgument(const Napi::CallbackInfo& info) {
  if (info.Length() == 0 || info[0].IsUndefined() || info[0].IsNull()) return std::nullopt;
  if (!info[0].IsString()) {
    throw Napi::TypeError::New(info.Env(), "The \"path\" argument must be a string");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Napi::TypeError::New(info.Env(), "The \"path\" argument must be a non-empty string without NUL bytes");
  }
  return path;
}

}  // namespace utmpx_addon
