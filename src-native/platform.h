// The OS differences of the addon live here, behind #if, so the readers stay
// plain C++; only lastlog's readers differ too much for that and are one file
// per OS (lastlog_<os>.cc, picked by binding.gyp). Linux (glibc) is built and
// tested here; the macOS and FreeBSD branches follow those systems' <utmpx.h>,
// and test/platform.test.ts compiles them here against those declarations
// (test/native-platforms/).
#pragma once

#include <utmpx.h>
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#  include <features.h>
#endif

// The one choice of platform; everything below asks these. macOS and FreeBSD
// are asked first, so that their branches can be compiled on a glibc machine.
#if defined(__APPLE__)
#  define UTMPX_OS_DARWIN 1
#elif defined(__FreeBSD__)
#  define UTMPX_OS_FREEBSD 1
#elif defined(__GLIBC__)
#  define UTMPX_OS_GLIBC 1
#endif

#if defined(UTMPX_OS_GLIBC)
#  define UTMPX_PLATFORM "glibc"
// The database file is an array of struct utmpx: sizeof/offsetof describe it.
#  define UTMPX_FILE_IS_STRUCT_ARRAY 1
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
#elif defined(UTMPX_OS_DARWIN)
#  define UTMPX_PLATFORM "darwin"
#  define UTMPX_HAVE_HOST 1
#  define UTMPX_PATH_UTMP "/var/run/utmpx"
#  define UTMPX_PATH_WTMP "/var/log/utmpx"
#  define UTMPX_PATH_BTMP ""
#  define UTMPX_PATH_LASTLOG "/var/run/utmpx"
#elif defined(UTMPX_OS_FREEBSD)
#  define UTMPX_PLATFORM "freebsd"
#  define UTMPX_HAVE_HOST 1
#  define UTMPX_PATH_UTMP "/var/run/utx.active"
#  define UTMPX_PATH_WTMP "/var/log/utx.log"
#  define UTMPX_PATH_BTMP ""
#  define UTMPX_PATH_LASTLOG "/var/log/utx.lastlogin"
#else
// Linux without glibc is musl (Alpine): <utmpx.h> declares the functions but
// they are stubs that find no records. Elsewhere they are unknown. Either
// way the JS layer reads the files with its own decoder instead.
#  if defined(__linux__)
#    define UTMPX_PLATFORM "musl"
#  else
#    define UTMPX_PLATFORM "other"
#  endif
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
#if defined(UTMPX_OS_GLIBC)
  // glibc returns 0 on success, -1 on failure.
  return utmpxname(path ? path : UTMPX_PATH_UTMP) == 0;
#elif defined(UTMPX_OS_DARWIN)
  // macOS returns 1 on success and only accepts names ending in 'x'.
  return path == nullptr ? utmpxname(nullptr) == 1 : utmpxname(path) == 1;
#elif defined(UTMPX_OS_FREEBSD)
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
#if defined(UTMPX_OS_GLIBC)
  utmpxname(UTMPX_PATH_UTMP);
#elif defined(UTMPX_OS_DARWIN)
  utmpxname(nullptr);
#endif
}

// Seconds and microseconds of an entry. glibc 2.40+ declares tv_sec unsigned;
// older glibc has int32 on disk: read it as unsigned (valid to 2106).
inline double EntrySeconds(const struct utmpx& u) {
#if defined(UTMPX_OS_GLIBC)
  return static_cast<double>(static_cast<uint32_t>(u.ut_tv.tv_sec));
#else
  return static_cast<double>(u.ut_tv.tv_sec);
#endif
}

}  // namespace utmpx_addon

// ---- Shared by the readers ------------------------------------------------
#include <cstring>
#include <mutex>
#include <string>

namespace utmpx_addon {

// libc's utmpx cursor is one per process: every reader of it, the lastlog
// one on FreeBSD included, takes this lock.
inline std::mutex& LibcCursorMutex() {
  static std::mutex m;
  return m;
}

// The length of a fixed-size string field: bounded by the field size, cut at
// the first NUL.
template <size_t N>
size_t FieldLength(const char (&field)[N]) {
  const void* nul = memchr(field, 0, N);
  return nul ? static_cast<size_t>(static_cast<const char*>(nul) - field) : N;
}

template <size_t N>
std::string LastlogField(const char (&field)[N]) {
  return std::string(field, FieldLength(field));
}

}  // namespace utmpx_addon
