#include "errors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <uv.h>

namespace utmpx_addon {

namespace {

// Node's own name for an errno (libuv's table, which Node's fs errors use),
// EFTYPE for kNotRegularFile, EUNKNOWN for what libuv does not know.
std::string ErrnoName(int errnum) {
  if (errnum == kNotRegularFile) return "EFTYPE";
  char name[64];
  uv_err_name_r(-errnum, name, sizeof name);  // not uv_err_name: it leaks for unknown numbers
  return name[0] == 'E' && std::strchr(name, ' ') == nullptr ? name : "EUNKNOWN";
}

// A hint on what to do, for the errors users meet most.
const char* Advice(int errnum) {
  switch (errnum) {
    // ENOENT: none here. Whether "this system may keep no such database" applies
    // depends on who named the file, which the JS side knows (missingDatabase).
    case EACCES:
    case EPERM: return " (permission denied: btmp and some wtmp files are readable only by root)";
    case EISDIR: return " (it is a directory: pass the path of a record file)";
    case ENXIO: return " (no device or reader behind it, e.g. a socket: pass the path of a record file)";
    case kNotRegularFile: return " (not a regular file (a FIFO, device or socket): pass the path of a record file)";
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
  const char* text = err.errnum == kNotRegularFile ? "inappropriate file type or format"
                                                  : StrerrorText(strerror_r(err.errnum, buf, sizeof buf), buf);
  std::string code = ErrnoName(err.errnum);
  std::string message = code + ": " + text + ", " + err.syscall + " '" + err.path + "'" +
                        Advice(err.errnum);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err.errnum == kNotRegularFile ? kUvEftype : -err.errnum));
  error.Set("syscall", Napi::String::New(env, err.syscall));
  error.Set("path", Napi::String::New(env, err.path));
  return error;
}

int OpenRegularFile(const std::string& path, struct stat* st, SysError* err) {
  err->path = path;
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *err = SysError{errno, "open", path};
    return -1;
  }
  if (fstat(fd, st) != 0) {
    *err = SysError{errno, "fstat", path};
  } else if (S_ISDIR(st->st_mode)) {
    *err = SysError{EISDIR, "read", path};
  } else if (!S_ISREG(st->st_mode)) {
    *err = SysError{kNotRegularFile, "open", path};
  } else {
    return fd;
  }
  close(fd);
  return -1;
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
