// Every OS difference of the addon lives here, behind #if, so the readers stay
// plain C++. Linux (glibc) is built and tested here; the macOS and FreeBSD
// branches follow those systems' <utmpx.h>.
#pragma once

#include <utmpx.h>
#include <cstddef>

#if defined(__linux__)
#  include <features.h>
#endif

#if defined(__GLIBC__)
#  define UTMPX_PLATFORM "glibc"
#  define UTMPX_HAVE_EXIT 1
#  define UTMPX_HAVE_SESSION 1
#  define UTMPX_HAVE_ADDR 1
#  define UTMPX_HAVE_HOST 1
#  include <utmp.h>  // _PATH_UTMP, _PATH_WTMP
#  include <paths.h>
#  define UTMPX_PATH_UTMP _PATH_UTMP
#  define UTMPX_PATH_WTMP _PATH_WTMP
#  define UTMPX_PATH_BTMP "/var/log/btmp"
#  define UTMPX_PATH_LASTLOG "/var/log/lastlog"
#elif defined(__APPLE__)
#  define UTMPX_PLATFORM "darwin"
#  define UTMPX_HAVE_HOST 1
#  define UTMPX_PATH_UTMP "/var/run/utmpx"
#  define UTMPX_PATH_WTMP "/var/log/utmpx"
#  define UTMPX_PATH_BTMP ""
#  define UTMPX_PATH_LASTLOG "/var/run/utmpx"
#elif defined(__FreeBSD__)
#  define UTMPX_PLATFORM "freebsd"
#  define UTMPX_HAVE_HOST 1
#  define UTMPX_PATH_UTMP "/var/run/utx.active"
#  define UTMPX_PATH_WTMP "/var/log/utx.log"
#  define UTMPX_PATH_BTMP ""
#  define UTMPX_PATH_LASTLOG "/var/log/utx.lastlogin"
#else
// musl and others: <utmpx.h> exists but its functions are stubs (musl) or
// unknown. The JS layer reads files with its own decoder instead.
#  define UTMPX_PLATFORM "other"
#  define UTMPX_LIBC_STUBS 1
#  define UTMPX_HAVE_HOST 1
#  define UTMPX_PATH_UTMP "/var/run/utmp"
#  define UTMPX_PATH_WTMP "/var/log/wtmp"
#  define UTMPX_PATH_BTMP "/var/log/btmp"
#  define UTMPX_PATH_LASTLOG "/var/log/lastlog"
#endif

namespace utmpx_addon {

// Points libc's utmpx functions at `path` (nullptr: the default database).
// Returns false with errno set when the platform refuses the name.
inline bool SelectDatabase(const char* path) {
#if defined(__GLIBC__)
  // glibc returns 0 on success, -1 on failure.
  return utmpxname(path ? path : UTMPX_PATH_UTMP) == 0;
#elif defined(__APPLE__)
  // macOS returns 1 on success and only accepts names ending in 'x'.
  return path == nullptr ? utmpxname(nullptr) == 1 : utmpxname(path) == 1;
#elif defined(__FreeBSD__)
  // FreeBSD 9+: setutxdb opens the file itself, which also rewinds it.
  return setutxdb(UTXDB_ACTIVE, path) == 0;
#else
  (void)path;
  return true;
#endif
}

// The default database again, so no state from our call leaks into other
// users of libc in the process.
inline void RestoreDefaultDatabase() {
#if defined(__GLIBC__)
  utmpxname(UTMPX_PATH_UTMP);
#elif defined(__APPLE__)
  utmpxname(nullptr);
#endif
}

// Seconds and microseconds of an entry. glibc 2.40+ declares tv_sec unsigned;
// older glibc has int32 on disk: read it as unsigned (valid to 2106).
inline double EntrySeconds(const struct utmpx& u) {
#if defined(__GLIBC__)
  return static_cast<double>(static_cast<uint32_t>(u.ut_tv.tv_sec));
#else
  return static_cast<double>(u.ut_tv.tv_sec);
#endif
}

}  // namespace utmpx_addon
