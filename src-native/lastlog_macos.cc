// macOS's lastlog: getlastlogx(uid) from the system's records, which takes
// no path; a scan asks it for every uid of the passwd database. binding.gyp
// builds this file for macOS only.
#include "lastlog_reader.h"

#include <pwd.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <set>

#include "errors.h"
#include "platform.h"

#if !defined(UTMPX_OS_DARWIN)
#  error "lastlog_macos.cc is macOS's lastlog reader; binding.gyp picks the one for each OS"
#endif

namespace utmpx_addon {

namespace {

// getpwent keeps one cursor per process.
std::mutex passwd_cursor_mutex;

// The last login of `uid` from the system's records; false when none.
bool Lastlogx(uid_t uid, LastlogRecord* out) {
  struct lastlogx lx;
  if (getlastlogx(uid, &lx) == nullptr || lx.ll_tv.tv_sec == 0) return false;
  out->uid = static_cast<double>(uid);
  out->time = static_cast<double>(lx.ll_tv.tv_sec);
  out->line = LastlogField(lx.ll_line);
  out->host = LastlogField(lx.ll_host);
  return true;
}

// getlastlogx reads the system's records only: a path cannot be honoured.
SysError NoPath(const LastlogPath& path) {
  return SysError{ENOSYS, "getlastlogx", path.shown};
}

}  // namespace

LastlogRead PlatformReadLastlog(const LastlogPath& path, const LastlogKey& key) {
  LastlogRead res;
  if (path.given) {
    res.error = NoPath(path);
    return res;
  }
  std::optional<uint32_t> uid = KeyUid(key, path.shown, &res.error);
  if (res.error.failed() || !uid) return res;
  res.uid = *uid;
  LastlogRecord r;
  if (Lastlogx(*uid, &r)) {
    ResolveName(&r);
    res.record = r;
  }
  return res;
}

// One batch, whatever `max_records`.
LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t /*max_records*/, bool names) {
  LastlogScan res;
  if (offset > 0) {
    res.done = true;  // the one batch was handed out already
    return res;
  }
  if (path.given) {
    res.error = NoPath(path);
    return res;
  }
  std::set<uid_t> uids;
  {
    std::lock_guard<std::mutex> lock(passwd_cursor_mutex);
    setpwent();
    while (struct passwd* pw = getpwent()) uids.insert(pw->pw_uid);
    endpwent();
  }
  for (uid_t uid : uids) {
    LastlogRecord r;
    if (Lastlogx(uid, &r)) {
      if (names) ResolveName(&r);
      res.records.push_back(r);
    }
  }
  res.next = 1;
  res.done = true;
  return res;
}

LastlogSource PlatformLastlogSource() {
  return {"getlastlogx", 0};
}

}  // namespace utmpx_addon
