// Any OS without a lastlog reader of its own (binding.gyp builds this file
// where it knows none): every read fails with ENOSYS, as libc would lack
// the call; the JS layer reports it.
#include "lastlog_reader.h"

#include <cerrno>

#include "errors.h"

namespace utmpx_addon {

LastlogRead PlatformReadLastlog(const LastlogPath& path, const LastlogKey& /*key*/) {
  LastlogRead res;
  res.error = SysError{ENOSYS, "getlastlogx", path.shown};
  return res;
}

LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t /*max_records*/, bool /*names*/) {
  LastlogScan res;
  if (offset > 0) {
    res.done = true;  // as the one-batch readers answer a call past their batch
    return res;
  }
  res.error = SysError{ENOSYS, "getlastlogx", path.shown};
  return res;
}

LastlogSource PlatformLastlogSource() {
  return {"none", 0};
}

}  // namespace utmpx_addon
