#include "file_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>

#include "promise_worker.h"


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

LockResult TryLock(int fd) {
  if (SetLock(fd, F_RDLCK) == 0) return LockResult::kLocked;
  if (errno == EAGAIN || errno == EACCES) return LockResult::kBusy;
  return LockResult::kUnsupported;
}

// Writers (pututxline, updwtmp) hold their lock for microseconds: retry at
// once kLockSpins times, then once a millisecond for up to kLockWaitMs.
constexpr int kLockSpins = 100;
constexpr int kLockWaitMs = 1000;

// A writer that keeps a file locked past the policy is stuck (stopped or
// hung): the file is remembered, and no reader (in any thread) waits for it
// again until one finds it unlocked, or it changes (its size or ctime: then
// someone writes it after all, or its inode was reused by a new file).
// Otherwise users() polled every few seconds would block for a second on
// every call. A few files at most.
class StuckFiles {
 public:
  bool Contains(const struct stat& st) {
    std::lock_guard<std::mutex> hold(mutex_);
    for (const FileId& f : files_) {
      if (f.Is(st)) return true;
    }
    return false;
  }
  void Remember(const struct stat& st) {
    std::lock_guard<std::mutex> hold(mutex_);
    files_[next_] = {st.st_dev, st.st_ino, st.st_size, st.st_ctime, true};
    next_ = (next_ + 1) % files_.size();
    any_ = true;
  }
  // `fd` was just locked: if its file was remembered, its writer has let go.
  void ForgetIfRemembered(int fd) {
    if (!any_) return;  // the common case: no fstat
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    std::lock_guard<std::mutex> hold(mutex_);
    bool left = false;
    for (FileId& f : files_) {
      if (f.Names(st)) f.used = false;
      left = left || f.used;
    }
    any_ = left;
  }

 private:
  struct FileId {
    dev_t dev;
    ino_t ino;
    off_t size;
    time_t ctime;
    bool used;
    // This file, whatever it holds now.
    bool Names(const struct stat& st) const { return used && dev == st.st_dev && ino == st.st_ino; }
    // This file, unchanged since it was remembered.
    bool Is(const struct stat& st) const { return Names(st) && size == st.st_size && ctime == st.st_ctime; }
  };
  std::mutex mutex_;
  std::array<FileId, 8> files_{};
  size_t next_ = 0;
  std::atomic<bool> any_{false};
};

StuckFiles stuck_files;

// Asks again while a writer holds `fd`, as the policy says.
LockResult WaitForWriter(int fd) {
  LockResult got = LockResult::kBusy;
  for (int tries = 1; got == LockResult::kBusy && tries <= kLockSpins + kLockWaitMs; tries++) {
    if (tries > kLockSpins) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, nullptr);
    }
    got = TryLock(fd);
  }
  return got;
}

}  // namespace

// A read lock on `fd`; with `wait`, waiting for a writer as the policy says
// (unless that file's writer is known to be stuck).
LockResult TakeReadLock(int fd, bool wait) {
  LockResult got = TryLock(fd);
  if (got == LockResult::kBusy && wait) {
    struct stat st;
    bool known = fstat(fd, &st) == 0;
    if (!known || !stuck_files.Contains(st)) {
      got = WaitForWriter(fd);
      if (got == LockResult::kBusy && known) stuck_files.Remember(st);
    }
  }
  if (got == LockResult::kLocked) stuck_files.ForgetIfRemembered(fd);
  return got;
}

void ReleaseReadLock(int fd) { SetLock(fd, F_UNLCK); }

namespace {

Napi::Value LockResultToJs(Napi::Env env, const LockResult& r) {
  if (r == LockResult::kUnsupported) return env.Null();
  return Napi::Boolean::New(env, r == LockResult::kLocked);
}

}  // namespace

Napi::Value ReadLock(const Napi::CallbackInfo& info) {
  int fd = FdArgument(info);
  bool wait = info.Length() < 2 || info[1].ToBoolean().Value();
  return LockResultToJs(info.Env(), TakeReadLock(fd, wait));
}

Napi::Value ReadLockAsync(const Napi::CallbackInfo& info) {
  int fd = FdArgument(info);
  return QueuePromise<LockResult>(info.Env(), "utmpx:lock", [fd] { return TakeReadLock(fd, true); }, LockResultToJs);
}

Napi::Value Unlock(const Napi::CallbackInfo& info) {
  SetLock(FdArgument(info), F_UNLCK);
  return info.Env().Undefined();
}

Napi::Object LockPolicy(Napi::Env env) {
  Napi::Object policy = Napi::Object::New(env);
  policy.Set("spins", Napi::Number::New(env, kLockSpins));
  policy.Set("waitMs", Napi::Number::New(env, kLockWaitMs));
  return policy;
}

}  // namespace utmpx_addon
