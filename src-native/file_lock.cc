#include "file_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>


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

namespace {

// Writers (pututxline, updwtmp) hold their lock for microseconds: spin, then
// wait a millisecond at a time, a second at most, as record-file.ts does.
bool ReadLockWithin(int fd) {
  for (int tries = 0; tries < 1100; tries++) {
    if (SetLock(fd, F_RDLCK) == 0) return true;
    if (errno != EAGAIN && errno != EACCES) return false;
    if (tries >= 100) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, nullptr);
    }
  }
  return false;
}

// The largest record of any layout: room to see that the file ended.
constexpr size_t kSlack = 628;

}  // namespace

Napi::Value ReadSmallFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsBuffer()) {
    throw Napi::TypeError::New(env, "readSmallFile(path: string, limit: number, into: Buffer)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double limit = info[1].As<Napi::Number>().DoubleValue();
  // Read straight into the caller's buffer: no allocation, zero-fill or copy per call.
  Napi::Buffer<char> into = info[2].As<Napi::Buffer<char>>();
  char* data = into.Data();
  size_t room = into.Length();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return env.Null();
  struct stat st;
  double result = -1;  // -1: null (not read whole)
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<double>(st.st_size) <= limit) {
    size_t want = static_cast<size_t>(st.st_size) + kSlack;
    if (want > room) {
      result = -static_cast<double>(want);  // too small a buffer: the caller retries with one this large
    } else if (ReadLockWithin(fd)) {
      size_t n = 0;
      bool failed = false;
      while (n < room) {
        ssize_t got = pread(fd, data + n, room - n, static_cast<off_t>(n));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
          failed = true;
          break;
        }
        n += static_cast<size_t>(got);
        // A regular file reads short only at its end: no second read to see it.
        if (got == 0 || n < room) break;
      }
      if (!failed && n < room) result = static_cast<double>(n);  // the read met the end
      SetLock(fd, F_UNLCK);
    }
  }
  close(fd);
  if (result == -1) return env.Null();
  return Napi::Number::New(env, result);
}

}  // namespace utmpx_addon
