#include "utmpx_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "file_lock.h"
#include "platform.h"
#include "promise_worker.h"

namespace utmpx_addon {

namespace {

// getutxent keeps one cursor and one static buffer per process: every use of
// it, from any thread or worker, goes through this lock.
std::mutex& libc_cursor_mutex = LibcCursorMutex();  // shared with the FreeBSD lastlog reader

struct Snapshot {
  std::vector<struct utmpx> records;
  long long trailing_bytes = -1;  // -1: unknown on this platform
  SysError error;
};

#if defined(UTMPX_FILE_IS_STRUCT_ARRAY)
// The file read as the array of struct utmpx it is, without libc: for a file
// whose writer holds its lock past the lock policy, which glibc would wait
// 10 s for under alarm() and then report as empty (and on a pool thread,
// which the alarm never reaches, wait for ever). With no lock to be had,
// reads are repeated until two agree, as the decoder does.
void ReadStructArray(int fd, long long size, Snapshot* snap) {
  size_t count = static_cast<size_t>(size) / sizeof(struct utmpx);
  size_t bytes = count * sizeof(struct utmpx);
  std::vector<struct utmpx> again(count);
  snap->records.resize(count);
  auto read_all = [&](struct utmpx* into) -> ssize_t {
    size_t done = 0;
    while (done < bytes) {
      ssize_t n = pread(fd, reinterpret_cast<char*>(into) + done, bytes - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(done);
  };
  ssize_t got = read_all(snap->records.data());
  for (int i = 0; got > 0 && i < 8; i++) {
    ssize_t again_got = read_all(again.data());
    if (again_got == got && std::memcmp(again.data(), snap->records.data(), static_cast<size_t>(got)) == 0) break;
    if (again_got < 0) {
      got = -1;
      break;
    }
    std::memcpy(snap->records.data(), again.data(), static_cast<size_t>(again_got));
    got = again_got;
  }
  if (got < 0) {
    snap->error.errnum = errno;
    snap->error.syscall = "read";
    snap->records.clear();
    return;
  }
  snap->records.resize(static_cast<size_t>(got) / sizeof(struct utmpx));
}
#endif

Snapshot ReadSnapshot(const std::optional<std::string>& path) {
  Snapshot snap;
  const std::string shown = path ? *path : std::string(UTMPX_PATH_UTMP);
#if defined(UTMPX_LIBC_STUBS)
  snap.error = SysError{ENOSYS, "getutxent", shown};
  return snap;
#else
  // The checks libc would hide (getutxent answers NULL alike for a missing
  // file, a directory and the end of the data), without blocking on a FIFO.
  struct stat st;
  int fd = OpenRegularFile(shown, &st, &snap.error);
  if (fd < 0) return snap;
  [[maybe_unused]] long long size = static_cast<long long>(st.st_size);  // glibc: for the trailing bytes
  bool locked = false;
#if defined(UTMPX_FILE_IS_STRUCT_ARRAY)
  // glibc locks the file for each record. Holding a read lock of our own
  // across the walk keeps writers out, so glibc's are granted at once; a
  // writer that holds the file past the lock policy is not waited for by
  // libc at all (see ReadStructArray).
  LockResult lock = TakeReadLock(fd, true);
  if (lock == LockResult::kBusy) {
    snap.error.path = shown;
    ReadStructArray(fd, size, &snap);
    snap.trailing_bytes = size % static_cast<long long>(sizeof(struct utmpx));
    close(fd);
    return snap;
  }
  locked = lock == LockResult::kLocked;
#endif
  {
    std::lock_guard<std::mutex> lock(libc_cursor_mutex);
    if (!SelectDatabase(path ? path->c_str() : nullptr)) {
      snap.error = SysError{errno ? errno : EINVAL, "utmpxname", shown};
    } else {
      setutxent();
      errno = 0;
      while (struct utmpx* u = getutxent()) {
        snap.records.push_back(*u);  // copy out of libc's static buffer
        errno = 0;
      }
      int after = errno;
      endutxent();
      RestoreDefaultDatabase();
      if (snap.records.empty() && (after == EACCES || after == EPERM || after == EIO || after == EISDIR)) {
        snap.error = SysError{after, "getutxent", shown};
      }
    }
  }
  if (locked) ReleaseReadLock(fd);
  close(fd);
#if defined(UTMPX_FILE_IS_STRUCT_ARRAY)
  // libc drops a partial tail.
  snap.trailing_bytes = size % static_cast<long long>(sizeof(struct utmpx));
#endif
  return snap;
#endif
}

// Bounded by the field size; cut at the first NUL; invalid UTF-8 is replaced.
template <size_t N>
Napi::String FieldString(Napi::Env env, const char (&field)[N]) {
  return Napi::String::New(env, field, FieldLength(field));
}

Napi::Object RecordToObject(Napi::Env env, const struct utmpx& u) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", Napi::Number::New(env, u.ut_type));
  o.Set("pid", Napi::Number::New(env, u.ut_pid));
  o.Set("line", FieldString(env, u.ut_line));
  o.Set("id", FieldString(env, u.ut_id));
  o.Set("user", FieldString(env, u.ut_user));
#if defined(UTMPX_HAVE_HOST)
  o.Set("host", FieldString(env, u.ut_host));
#endif
#if defined(UTMPX_HAVE_EXIT)
  o.Set("exitTermination", Napi::Number::New(env, u.ut_exit.e_termination));
  o.Set("exitStatus", Napi::Number::New(env, u.ut_exit.e_exit));
#endif
#if defined(UTMPX_HAVE_SESSION)
  o.Set("session", Napi::Number::New(env, static_cast<double>(u.ut_session)));
#endif
  o.Set("sec", Napi::Number::New(env, EntrySeconds(u)));
  o.Set("usec", Napi::Number::New(env, static_cast<double>(u.ut_tv.tv_usec)));
#if defined(UTMPX_HAVE_ADDR)
  // The address bytes as stored (network order), whatever the host order.
  Napi::Buffer<uint8_t> addr = Napi::Buffer<uint8_t>::Copy(
      env, reinterpret_cast<const uint8_t*>(u.ut_addr_v6), sizeof u.ut_addr_v6);
  o.Set("addr", addr);
#endif
  return o;
}

Napi::Value SnapshotToJs(Napi::Env env, const Snapshot& snap) {
  if (snap.error.failed()) throw MakeErrnoError(env, snap.error);
  Napi::Array records = Napi::Array::New(env, snap.records.size());
  for (size_t i = 0; i < snap.records.size(); i++) {
    records.Set(static_cast<uint32_t>(i), RecordToObject(env, snap.records[i]));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("records", records);
  result.Set("trailingBytes", Napi::Number::New(env, static_cast<double>(snap.trailing_bytes)));
  result.Set("platform", Napi::String::New(env, UTMPX_PLATFORM));
  return result;
}

}  // namespace

Napi::Value ReadUtmpxSync(const Napi::CallbackInfo& info) {
  return SnapshotToJs(info.Env(), ReadSnapshot(PathArgument(info)));
}

Napi::Value ReadUtmpxAsync(const Napi::CallbackInfo& info) {
  auto path = PathArgument(info);
  return QueuePromise<Snapshot>(info.Env(), "utmpx:read", [path] { return ReadSnapshot(path); }, SnapshotToJs);
}

Napi::Object StructLayout(Napi::Env env) {
  Napi::Object layout = Napi::Object::New(env);
#if defined(UTMPX_FILE_IS_STRUCT_ARRAY)
  auto field = [&](const char* name, size_t offset, size_t size) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
    f.Set("size", Napi::Number::New(env, static_cast<double>(size)));
    layout.Set(name, f);
  };
  struct utmpx u;
  layout.Set("size", Napi::Number::New(env, static_cast<double>(sizeof(struct utmpx))));
  field("type", offsetof(struct utmpx, ut_type), sizeof u.ut_type);
  field("pid", offsetof(struct utmpx, ut_pid), sizeof u.ut_pid);
  field("line", offsetof(struct utmpx, ut_line), sizeof u.ut_line);
  field("id", offsetof(struct utmpx, ut_id), sizeof u.ut_id);
  field("user", offsetof(struct utmpx, ut_user), sizeof u.ut_user);
  field("host", offsetof(struct utmpx, ut_host), sizeof u.ut_host);
  field("exitTermination", offsetof(struct utmpx, ut_exit.e_termination), sizeof u.ut_exit.e_termination);
  field("exitStatus", offsetof(struct utmpx, ut_exit.e_exit), sizeof u.ut_exit.e_exit);
  field("session", offsetof(struct utmpx, ut_session), sizeof u.ut_session);
  field("sec", offsetof(struct utmpx, ut_tv.tv_sec), sizeof u.ut_tv.tv_sec);
  field("usec", offsetof(struct utmpx, ut_tv.tv_usec), sizeof u.ut_tv.tv_usec);
  field("addr", offsetof(struct utmpx, ut_addr_v6), sizeof u.ut_addr_v6);
#endif
  return layout;
}

}  // namespace utmpx_addon
