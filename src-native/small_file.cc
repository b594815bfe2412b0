#include "small_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "file_lock.h"
#include "promise_worker.h"

namespace utmpx_addon {

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
      ReleaseReadLock(fd);
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
