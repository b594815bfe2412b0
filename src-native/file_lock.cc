#include "file_lock.h"

#include <fcntl.h>

#include <cerrno>

namespace utmpx_addon {

namespace {

// Open-file-description locks belong to the descriptor, not the process, so
// readers on several threads (or two cursors on one file) never release each
// other's lock. They conflict with the classic locks pututxline/updwtmp take.
#if defined(F_OFD_SETLK)
constexpr int kSetLock = F_OFD_SETLK;
#else
constexpr int kSetLock = F_SETLK;
#endif

int FdArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "The \"fd\" argument must be a number");
  }
  return info[0].As<Napi::Number>().Int32Value();
}

int SetLock(int fd, short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, as glibc locks it
  return fcntl(fd, kSetLock, &fl);
}

}  // namespace

Napi::Value TryReadLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (SetLock(FdArgument(info), F_RDLCK) == 0) return Napi::Boolean::New(env, true);
  if (errno == EAGAIN || errno == EACCES) return Napi::Boolean::New(env, false);
  return env.Null();
}

Napi::Value Unlock(const Napi::CallbackInfo& info) {
  SetLock(FdArgument(info), F_UNLCK);
  return info.Env().Undefined();
}

}  // namespace utmpx_addon
