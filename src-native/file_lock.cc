#include "file_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

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

namespace {

// The largest record of any layout: room to see that the file ended.
constexpr size_t kSlack = 628;

// Still the file opened, at the same path, with the same owner and mode:
// otherwise it was replaced (or chmod/chown'ed) and must be opened again.
bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_mode == b.st_mode && a.st_uid == b.st_uid &&
         a.st_gid == b.st_gid;
}

}  // namespace

void KeptFile::Close() {
  if (fd >= 0) close(fd);
  fd = -1;
}

namespace {

// The work of readSmallFile, on any thread: the bytes read into `data`, -n
// when `room` is smaller than the n bytes needed, -1 for null.
double ReadSmall(KeptFile* kept, const std::string& path, double limit, bool keep, char* data, size_t room) {
  std::lock_guard<std::mutex> hold(kept->mutex);
  struct stat st;
  int fd = -1;
  if (kept->fd >= 0 && kept->path == path) {
    // A stat of the path costs half an open and close. The kept descriptor
    // reads what the file holds now (a truncation too): stat's size is current.
    if (stat(path.c_str(), &st) == 0 && SameFile(st, kept->st)) {
      fd = kept->fd;
    } else {
      kept->Close();
    }
  }
  bool opened = fd < 0;
  if (opened) {
    fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // a FIFO must not block: it is refused below
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0) st.st_mode = 0;  // not a regular file: null below
  }
  double result = -1;  // -1: null (not read whole)
  if (S_ISREG(st.st_mode) && static_cast<double>(st.st_size) <= limit) {
    size_t want = static_cast<size_t>(st.st_size) + kSlack;
    if (want > room) {
      result = -static_cast<double>(want);  // too small a buffer: the caller retries with one this large
    } else if (TakeReadLock(fd, true) == LockResult::kLocked) {
      // One read: a regular file reads short only at its end, and a read that
      // fills the buffer means the file grew past its stat (null).
      ssize_t got;
      do {
        got = pread(fd, data, room, 0);
      } while (got < 0 && errno == EINTR);
      if (got >= 0 && static_cast<size_t>(got) < room) result = static_cast<double>(got);
      SetLock(fd, F_UNLCK);
    }
  }
  if (opened && keep && S_ISREG(st.st_mode) && !kept->ended) {
    kept->Close();
    kept->fd = fd;
    kept->path = path;
    kept->st = st;
  } else if (opened) {
    close(fd);
  }
  return result;
}

KeptFile* Kept(const Napi::CallbackInfo& info) { return static_cast<std::shared_ptr<KeptFile>*>(info.Data())->get(); }

// A whole small file read on the pool: its bytes, or none for null.
struct SmallFile {
  bool read = false;
  std::vector<char> bytes;
};

Napi::Value SmallFileToJs(Napi::Env env, const SmallFile& f) {
  if (!f.read) return env.Null();
  return Napi::Buffer<char>::Copy(env, f.bytes.data(), f.bytes.size());
}

}  // namespace

Napi::Value ReadSmallFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsBuffer()) {
    throw Napi::TypeError::New(env, "readSmallFile(path: string, limit: number, into: Buffer, keep?: boolean)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double limit = info[1].As<Napi::Number>().DoubleValue();
  // Read straight into the caller's buffer: no allocation, zero-fill or copy per call.
  Napi::Buffer<char> into = info[2].As<Napi::Buffer<char>>();
  bool keep = info.Length() > 3 && info[3].ToBoolean().Value();
  double result = ReadSmall(Kept(info), path, limit, keep, into.Data(), into.Length());
  if (result == -1) return env.Null();
  return Napi::Number::New(env, result);
}

Napi::Value ReadSmallFileAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "readSmallFileAsync(path: string, limit: number, keep?: boolean)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double limit = info[1].As<Napi::Number>().DoubleValue();
  bool keep = info.Length() > 2 && info[2].ToBoolean().Value();
  // The kept descriptor outlives the environment's cleanup while this runs.
  std::shared_ptr<KeptFile> kept = *static_cast<std::shared_ptr<KeptFile>*>(info.Data());
  return QueuePromise<SmallFile>(env, "utmpx:readSmallFile", [kept, path, limit, keep] {
    SmallFile f;
    f.bytes.resize(32 * 1024);
    double n = ReadSmall(kept.get(), path, limit, keep, f.bytes.data(), f.bytes.size());
    if (n < -1) {
      f.bytes.resize(static_cast<size_t>(-n));
      n = ReadSmall(kept.get(), path, limit, keep, f.bytes.data(), f.bytes.size());
    }
    f.read = n >= 0;
    f.bytes.resize(f.read ? static_cast<size_t>(n) : 0);
    return f;
  }, SmallFileToJs);
}

Napi::Value ReleaseSmallFile(const Napi::CallbackInfo& info) {
  KeptFile* kept = Kept(info);
  std::lock_guard<std::mutex> hold(kept->mutex);
  kept->Close();
  return info.Env().Undefined();
}

}  // namespace utmpx_addon
