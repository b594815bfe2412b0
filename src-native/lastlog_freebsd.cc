// FreeBSD's lastlog: the utx.lastlogin database, one USER_PROCESS record per
// user keyed by name, through libc (setutxdb(UTXDB_LASTLOGIN), getutxuser).
// binding.gyp builds this file for FreeBSD only.
#include "lastlog_reader.h"

#include <cerrno>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "platform.h"

#if !defined(UTMPX_OS_FREEBSD)
#  error "lastlog_freebsd.cc is FreeBSD's lastlog reader; binding.gyp picks the one for each OS"
#endif

namespace utmpx_addon {

namespace {

// Every record of a lastlogin database, or the one for `user` when given.
// The caller holds LibcCursorMutex(). Returns an errno value (0 on success).
int ReadLastlogin(const char* path, const char* user, std::vector<LastlogRecord>* out) {
  if (setutxdb(UTXDB_LASTLOGIN, path) != 0) return errno ? errno : EINVAL;
  auto add = [&](const struct utmpx* u) {
    LastlogRecord r;
    r.time = static_cast<double>(u->ut_tv.tv_sec);
    r.line = LastlogField(u->ut_line);
    r.host = LastlogField(u->ut_host);
    r.user = LastlogField(u->ut_user);
    r.has_user = true;
    out->push_back(r);
  };
  if (user) {
    if (const struct utmpx* u = getutxuser(user)) add(u);
  } else {
    while (const struct utmpx* u = getutxent()) {
      if (u->ut_type == USER_PROCESS) add(u);
    }
  }
  endutxent();
  return 0;
}

// The uid of a record's user name, where it has an account (the records carry names).
void ResolveUid(LastlogRecord* r) {
  int rc = 0;
  if (std::optional<uint32_t> uid = UidOfName(r->user, &rc)) r->uid = static_cast<double>(*uid);
}

const char* PathOrDefault(const LastlogPath& path) {
  return path.given ? path.given->c_str() : nullptr;
}

}  // namespace

// The database is keyed by user name: a uid is looked up first.
LastlogRead PlatformReadLastlog(const LastlogPath& path, const LastlogKey& key) {
  LastlogRead res;
  LastlogRecord probe;
  if (key.uid) {
    probe.uid = *key.uid;
    res.uid = probe.uid;
    ResolveName(&probe);
    if (!probe.has_user) return res;  // no account, so no name to look up
  } else {
    std::optional<uint32_t> uid = KeyUid(key, path.shown, &res.error);
    if (res.error.failed() || !uid) return res;  // unknown name
    res.uid = *uid;
    probe.uid = *uid;
    probe.user = key.name;
  }
  std::vector<LastlogRecord> found;
  std::lock_guard<std::mutex> lock(LibcCursorMutex());
  int rc = ReadLastlogin(PathOrDefault(path), probe.user.c_str(), &found);
  if (rc != 0) {
    res.error = SysError{rc, "setutxdb", path.shown};
  } else if (!found.empty()) {
    found[0].uid = probe.uid;
    res.record = found[0];
  }
  return res;
}

// The database is small (one record per user): one batch, whatever
// `max_records`. The records hold the names themselves, so `names` is moot.
LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t /*max_records*/, bool /*names*/) {
  LastlogScan res;
  if (offset > 0) {
    res.done = true;  // the one batch was handed out already
    return res;
  }
  int rc;
  {
    std::lock_guard<std::mutex> lock(LibcCursorMutex());
    rc = ReadLastlogin(PathOrDefault(path), nullptr, &res.records);
  }
  if (rc != 0) res.error = SysError{rc, "setutxdb", path.shown};
  // Outside the lock: a lookup may go to the network (NSS), readers of utmpx need not wait for it.
  for (auto& r : res.records) ResolveUid(&r);
  res.done = true;
  return res;
}

LastlogSource PlatformLastlogSource() {
  return {"utxdb", 0};
}

}  // namespace utmpx_addon
