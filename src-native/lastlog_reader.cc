#include "lastlog_reader.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "platform.h"
#include "promise_worker.h"

namespace utmpx_addon {

namespace {

// A uid or a user name, as get() was given it.
struct Key {
  std::optional<uint32_t> uid;
  std::string name;
};

struct ReadResult {
  std::optional<double> uid;  // the uid asked for or resolved; none for an unknown name
  std::optional<LastlogRecord> record;
  double file_size = 0;
  SysError error;
};

struct ScanResult {
  std::vector<LastlogRecord> records;
  double next = 0;
  bool done = false;
  double file_size = 0;
  SysError error;
};

// Bytes of one call of a scan: bounds the time of a step on a dense file or
// where the filesystem cannot report holes.
constexpr uint64_t kScanBudgetBytes = 8u << 20;

size_t PasswdBufferSize() {
  long n = sysconf(_SC_GETPW_R_SIZE_MAX);
  return n > 0 ? static_cast<size_t>(n) : 16384;
}

// getpwuid_r / getpwnam_r with a buffer that grows on ERANGE. Returns the
// error number (0 also when there is no such user: then *found is false).
template <typename Lookup>
int LookupPasswd(Lookup lookup, struct passwd* pw, std::vector<char>* buf, bool* found) {
  buf->resize(PasswdBufferSize());
  for (;;) {
    struct passwd* result = nullptr;
    int rc = lookup(pw, buf->data(), buf->size(), &result);
    if (rc == ERANGE && buf->size() < (1u << 20)) {
      buf->resize(buf->size() * 2);
      continue;
    }
    *found = result != nullptr;
    // "Not found" comes back as 0 or, from some NSS modules, as these.
    if (!*found && (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)) return 0;
    return *found ? 0 : rc;
  }
}

// The account name of `uid`, if it has one. Lookup failures only leave the
// name out: they never cost a record.
void ResolveName(LastlogRecord* r) {
  if (r->uid < 0 || r->uid > 4294967295.0) return;
  struct passwd pw;
  std::vector<char> buf;
  bool found = false;
  uid_t uid = static_cast<uid_t>(r->uid);
  LookupPasswd([&](struct passwd* p, char* b, size_t n, struct passwd** out) { return getpwuid_r(uid, p, b, n, out); },
               &pw, &buf, &found);
  if (found) {
    r->user = pw.pw_name;
    r->has_user = true;
  }
}

// The uid of account `name`, none when no account has it; *rc is the lookup's
// error number (0 also for "no such account").
std::optional<uint32_t> UidOfName(const std::string& name, int* rc) {
  struct passwd pw;
  std::vector<char> buf;
  bool found = false;
  *rc = LookupPasswd([&](struct passwd* p, char* b, size_t n, struct passwd** out) {
    return getpwnam_r(name.c_str(), p, b, n, out);
  }, &pw, &buf, &found);
  if (!found) return std::nullopt;
  return static_cast<uint32_t>(pw.pw_uid);
}

// The uid of a record's user name, where it has an account (FreeBSD's records carry names).
[[maybe_unused]] void ResolveUid(LastlogRecord* r) {
  int rc = 0;
  if (std::optional<uint32_t> uid = UidOfName(r->user, &rc)) r->uid = static_cast<double>(*uid);
}

// The uid of a name (none when no account has it), or the uid given.
std::optional<uint32_t> KeyUid(const Key& key, const std::string& path, SysError* err) {
  if (key.uid) return key.uid;
  int rc = 0;
  std::optional<uint32_t> uid = UidOfName(key.name, &rc);
  if (rc != 0) *err = SysError{rc, "getpwnam_r", path};
  return uid;
}

#if defined(UTMPX_LASTLOG_FILE)

constexpr uint64_t kRecordSize = sizeof(struct lastlog);

// An open lastlog file and its size; closes itself.
class LastlogFd {
 public:
  LastlogFd(const std::string& path, SysError* err) {
    struct stat st;
    fd_ = OpenRegularFile(path, &st, err);  // a FIFO or device is refused, never read
    if (fd_ >= 0) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~LastlogFd() {
    if (fd_ >= 0) close(fd_);
  }
  LastlogFd(const LastlogFd&) = delete;
  LastlogFd& operator=(const LastlogFd&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

  // Reads exactly `len` bytes at `offset` (retrying short reads and EINTR).
  bool ReadAt(char* buf, size_t len, uint64_t offset, SysError* err) const {
    size_t done = 0;
    while (done < len) {
      ssize_t n = pread(fd_, buf + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *err = SysError{n < 0 ? errno : EIO, "read", err->path};
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A record with a login (never-logged-in slots and holes read as time 0).
std::optional<LastlogRecord> Decode(const struct lastlog& ll, uint64_t uid, bool names) {
  if (ll.ll_time == 0) return std::nullopt;
  LastlogRecord r;
  r.uid = static_cast<double>(uid);
  r.time = LastlogSeconds(ll);
  r.line = LastlogField(ll.ll_line);
  r.host = LastlogField(ll.ll_host);
  if (names) ResolveName(&r);
  return r;
}

ReadResult ReadOne(const std::string& path, const Key& key) {
  ReadResult res;
  LastlogFd file(path, &res.error);
  if (res.error.failed()) return res;
  res.file_size = static_cast<double>(file.size());
  std::optional<uint32_t> uid = KeyUid(key, path, &res.error);
  if (res.error.failed() || !uid) return res;
  res.uid = *uid;
  // One pread at uid * sizeof(struct lastlog); a slot past the end, or cut
  // short by the end of the file, is no login.
  uint64_t offset = static_cast<uint64_t>(*uid) * kRecordSize;
  if (offset + kRecordSize > file.size()) return res;
  struct lastlog ll;
  if (!file.ReadAt(reinterpret_cast<char*>(&ll), sizeof ll, offset, &res.error)) return res;
  res.record = Decode(ll, *uid, true);
  return res;
}

// Where the next written bytes at or after `pos` lie: [*data, *hole). Returns
// false when only holes remain. Filesystems without SEEK_DATA/SEEK_HOLE (or
// an old kernel) are read as one extent: the scan fallback.
bool NextExtent(const LastlogFd& file, uint64_t pos, uint64_t* data, uint64_t* hole, SysError* err) {
  off_t d = lseek(file.fd(), static_cast<off_t>(pos), SEEK_DATA);
  if (d < 0) {
    if (errno == ENXIO) return false;
    if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP) {
      *err = SysError{errno, "lseek", err->path};
      return false;
    }
    *data = pos;
    *hole = file.size();
    return true;
  }
  off_t h = lseek(file.fd(), d, SEEK_HOLE);
  *data = static_cast<uint64_t>(d);
  *hole = h < 0 ? file.size() : static_cast<uint64_t>(h);
  return true;
}

ScanResult ScanFile(const std::string& path, uint64_t offset, size_t max_records, bool names) {
  ScanResult res;
  LastlogFd file(path, &res.error);
  if (res.error.failed()) return res;
  res.file_size = static_cast<double>(file.size());
  // Only whole records; JS reports the trailing bytes.
  const uint64_t end = file.size() / kRecordSize * kRecordSize;
  uint64_t pos = (offset + kRecordSize - 1) / kRecordSize * kRecordSize;
  uint64_t scanned = 0;
  constexpr size_t kChunkRecords = 1024;
  std::vector<struct lastlog> chunk(kChunkRecords);

  while (pos < end && res.records.size() < max_records && scanned < kScanBudgetBytes) {
    uint64_t data = 0, hole = 0;
    if (!NextExtent(file, pos, &data, &hole, &res.error)) {
      if (res.error.failed()) return res;
      pos = end;
      break;
    }
    // Whole records overlapping the extent (a record may straddle its edges).
    uint64_t start = std::max(pos, data / kRecordSize * kRecordSize);
    uint64_t stop = std::min(end, (hole + kRecordSize - 1) / kRecordSize * kRecordSize);
    if (start >= stop) {  // the data lies in the partial record at the end
      pos = end;
      break;
    }
    pos = start;
    while (pos < stop && res.records.size() < max_records && scanned < kScanBudgetBytes) {
      size_t count = static_cast<size_t>(std::min<uint64_t>(kChunkRecords, (stop - pos) / kRecordSize));
      if (!file.ReadAt(reinterpret_cast<char*>(chunk.data()), count * kRecordSize, pos, &res.error)) return res;
      scanned += count * kRecordSize;
      size_t i = 0;
      for (; i < count && res.records.size() < max_records; i++) {
        if (auto r = Decode(chunk[i], pos / kRecordSize + i, names)) res.records.push_back(std::move(*r));
      }
      pos += i * kRecordSize;
    }
  }
  res.next = static_cast<double>(pos);
  res.done = pos >= end;
  return res;
}

#elif defined(UTMPX_LASTLOG_FREEBSD)

// The lastlogin database is small (one record per user): one batch.
ScanResult ScanFile(const std::optional<std::string>& path, const std::string& shown) {
  ScanResult res;
  int rc;
  {
    std::lock_guard<std::mutex> lock(LibcCursorMutex());
    rc = FreeBsdLastlogin(path ? path->c_str() : nullptr, nullptr, &res.records);
  }
  if (rc != 0) res.error = SysError{rc, "setutxdb", shown};
  // Outside the lock: a lookup may go to the network (NSS), readers of utmpx need not wait for it.
  for (auto& r : res.records) ResolveUid(&r);
  res.done = true;
  return res;
}

// The database is keyed by user name: a uid is looked up first.
ReadResult ReadOne(const std::optional<std::string>& path, const std::string& shown, const Key& key) {
  ReadResult res;
  LastlogRecord probe;
  if (key.uid) {
    probe.uid = *key.uid;
    res.uid = probe.uid;
    ResolveName(&probe);
    if (!probe.has_user) return res;  // no account, so no name to look up
  } else {
    std::optional<uint32_t> uid = KeyUid(key, shown, &res.error);
    if (res.error.failed() || !uid) return res;  // unknown name
    res.uid = *uid;
    probe.uid = *uid;
    probe.user = key.name;
  }
  std::vector<LastlogRecord> found;
  std::lock_guard<std::mutex> lock(LibcCursorMutex());
  int rc = FreeBsdLastlogin(path ? path->c_str() : nullptr, probe.user.c_str(), &found);
  if (rc != 0) {
    res.error = SysError{rc, "setutxdb", shown};
  } else if (!found.empty()) {
    found[0].uid = probe.uid;
    res.record = found[0];
  }
  return res;
}

#elif defined(UTMPX_LASTLOG_DARWIN)

// getpwent keeps one cursor per process.
std::mutex passwd_cursor_mutex;

ScanResult ScanFile(bool names) {
  ScanResult res;
  std::set<uid_t> uids;
  {
    std::lock_guard<std::mutex> lock(passwd_cursor_mutex);
    setpwent();
    while (struct passwd* pw = getpwent()) uids.insert(pw->pw_uid);
    endpwent();
  }
  for (uid_t uid : uids) {
    LastlogRecord r;
    if (DarwinLastlogx(uid, &r)) {
      if (names) ResolveName(&r);
      res.records.push_back(r);
    }
  }
  res.done = true;
  return res;
}

ReadResult ReadOne(const std::string& shown, const Key& key) {
  ReadResult res;
  std::optional<uint32_t> uid = KeyUid(key, shown, &res.error);
  if (res.error.failed() || !uid) return res;
  res.uid = *uid;
  LastlogRecord r;
  if (DarwinLastlogx(*uid, &r)) {
    ResolveName(&r);
    res.record = r;
  }
  return res;
}

#endif

// The platform's reader behind one signature. A path on macOS, or no
// reader at all, is ENOSYS.
ReadResult Read(const std::optional<std::string>& path, const Key& key) {
  const std::string shown = path ? *path : std::string(UTMPX_PATH_LASTLOG);
#if defined(UTMPX_LASTLOG_FILE)
  return ReadOne(shown, key);
#elif defined(UTMPX_LASTLOG_FREEBSD)
  return ReadOne(path, shown, key);
#elif defined(UTMPX_LASTLOG_DARWIN)
  if (!path) return ReadOne(shown, key);
#endif
  ReadResult res;
  res.error = SysError{ENOSYS, "getlastlogx", shown};
  return res;
}

// `names`: resolve uids to account names (getpwuid_r per record: ~6 us for
// an account, ~70 us for a uid without one where nsswitch asks systemd).
ScanResult Scan(const std::optional<std::string>& path, double offset, size_t max_records, bool names) {
  const std::string shown = path ? *path : std::string(UTMPX_PATH_LASTLOG);
#if defined(UTMPX_LASTLOG_FILE)
  return ScanFile(shown, static_cast<uint64_t>(offset), max_records, names);
#else
  (void)max_records;
  (void)names;  // FreeBSD: the records hold the names themselves
  ScanResult res;
  if (offset > 0) {
    res.done = true;  // the one batch was handed out already
    return res;
  }
#  if defined(UTMPX_LASTLOG_FREEBSD)
  return ScanFile(path, shown);
#  elif defined(UTMPX_LASTLOG_DARWIN)
  if (!path) {
    res = ScanFile(names);
    res.next = 1;
    return res;
  }
#  endif
  res.error = SysError{ENOSYS, "getlastlogx", shown};
  return res;
#endif
}

Napi::Value RecordToJs(Napi::Env env, const LastlogRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("uid", r.uid < 0 ? env.Null() : Napi::Number::New(env, r.uid));
  o.Set("user", r.has_user ? Napi::String::New(env, r.user) : env.Null());
  o.Set("time", Napi::Number::New(env, r.time));
  o.Set("line", Napi::String::New(env, r.line));
  o.Set("host", Napi::String::New(env, r.host));
  return o;
}

Napi::Value ReadToJs(Napi::Env env, const ReadResult& res) {
  if (res.error.failed()) throw MakeErrnoError(env, res.error);
  Napi::Object o = Napi::Object::New(env);
  o.Set("uid", res.uid ? Napi::Number::New(env, *res.uid) : env.Null());
  o.Set("record", res.record ? RecordToJs(env, *res.record) : env.Null());
  o.Set("fileSize", Napi::Number::New(env, res.file_size));
  return o;
}

Napi::Value ScanToJs(Napi::Env env, const ScanResult& res) {
  if (res.error.failed()) throw MakeErrnoError(env, res.error);
  Napi::Array records = Napi::Array::New(env, res.records.size());
  for (size_t i = 0; i < res.records.size(); i++) records.Set(static_cast<uint32_t>(i), RecordToJs(env, res.records[i]));
  Napi::Object o = Napi::Object::New(env);
  o.Set("records", records);
  o.Set("next", Napi::Number::New(env, res.next));
  o.Set("done", Napi::Boolean::New(env, res.done));
  o.Set("fileSize", Napi::Number::New(env, res.file_size));
  return o;
}

Key KeyArg(const Napi::CallbackInfo& info) {
  Napi::Value v = info[1];
  Key key;
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 4294967295.0 && std::floor(d) == d)) {
      throw Napi::TypeError::New(info.Env(), "The uid must be an integer from 0 to 4294967295");
    }
    key.uid = static_cast<uint32_t>(d);
  } else if (v.IsString()) {
    key.name = v.As<Napi::String>().Utf8Value();
    if (key.name.find('\0') != std::string::npos) {
      throw Napi::TypeError::New(info.Env(), "The user name must not contain NUL bytes");
    }
  } else {
    throw Napi::TypeError::New(info.Env(), "The user must be a uid (number) or a user name (string)");
  }
  return key;
}

struct ScanArgs {
  double offset;
  size_t max_records;
  bool names;
};

ScanArgs ScanArguments(const Napi::CallbackInfo& info) {
  double offset = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  double max = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 4096;
  bool names = info.Length() <= 3 || !info[3].IsBoolean() || info[3].As<Napi::Boolean>().Value();
  if (!(offset >= 0) || !(max >= 1)) throw Napi::TypeError::New(info.Env(), "bad scan offset or batch size");
  return {offset, static_cast<size_t>(std::min(max, 1e6)), names};
}


}  // namespace

Napi::Value ReadLastlogSync(const Napi::CallbackInfo& info) {
  return ReadToJs(info.Env(), Read(PathArgument(info), KeyArg(info)));
}

Napi::Value ReadLastlogAsync(const Napi::CallbackInfo& info) {
  auto path = PathArgument(info);
  Key key = KeyArg(info);
  return QueuePromise<ReadResult>(info.Env(), "utmpx:lastlog", [path, key] { return Read(path, key); }, ReadToJs);
}

Napi::Value ScanLastlogSync(const Napi::CallbackInfo& info) {
  ScanArgs a = ScanArguments(info);
  return ScanToJs(info.Env(), Scan(PathArgument(info), a.offset, a.max_records, a.names));
}

Napi::Value ScanLastlogAsync(const Napi::CallbackInfo& info) {
  auto path = PathArgument(info);
  ScanArgs a = ScanArguments(info);
  return QueuePromise<ScanResult>(info.Env(), "utmpx:lastlog",
                                  [path, a] { return Scan(path, a.offset, a.max_records, a.names); }, ScanToJs);
}

Napi::Object LastlogInfo(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#if defined(UTMPX_LASTLOG_FILE)
  o.Set("recordSize", Napi::Number::New(env, static_cast<double>(kRecordSize)));
  o.Set("source", Napi::String::New(env, "file"));
#elif defined(UTMPX_LASTLOG_FREEBSD)
  o.Set("recordSize", Napi::Number::New(env, 0));
  o.Set("source", Napi::String::New(env, "utxdb"));
#elif defined(UTMPX_LASTLOG_DARWIN)
  o.Set("recordSize", Napi::Number::New(env, 0));
  o.Set("source", Napi::String::New(env, "getlastlogx"));
#else
  o.Set("recordSize", Napi::Number::New(env, 0));
  o.Set("source", Napi::String::New(env, "none"));
#endif
  return o;
}

}  // namespace utmpx_addon
