#include "logind.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "platform.h"
#include "promise_worker.h"

// sd-login exists on Linux only (systemd, or elogind on musl and others).
// macOS and FreeBSD get the same functions, answering "not available".
#if defined(__linux__) && !defined(UTMPX_OS_DARWIN) && !defined(UTMPX_OS_FREEBSD)
#  define UTMPX_HAVE_LOGIND 1
#  include <dirent.h>
#  include <dlfcn.h>
#  include <fcntl.h>
#  include <sys/stat.h>
#  include <sys/types.h>
#  include <unistd.h>
#endif

namespace utmpx_addon {

namespace {

// One session as sd-login describes it; a field the library cannot give is
// absent (nullopt), never a made-up value.
struct LogindSession {
  std::string id;
  std::optional<std::string> user, seat, tty, display, remote_host, remote_user, service, type, klass, state, desktop;
  std::optional<double> uid, vt, leader, start_usec;
  std::optional<bool> active, remote;
  // coreutils' guess of the pty of a "tty" session without TTY= (ssh).
  std::optional<std::string> guessed_pty;
  // Fields read from the session file because this libsystemd lacks the getter.
  std::vector<const char*> from_file;
};

struct LogindSnapshot {
  bool available = false;
  std::string library;
  std::vector<LogindSession> sessions;
  SysError error;
};

#if defined(UTMPX_HAVE_LOGIND)

using StringGetter = int (*)(const char*, char**);

// The string getters, each filling one field.
struct StringField {
  const char* symbol;
  std::optional<std::string> LogindSession::*field;
};

const StringField kStringFields[] = {
    {"sd_session_get_username", &LogindSession::user},  // systemd 254+
    {"sd_session_get_seat", &LogindSession::seat},
    {"sd_session_get_tty", &LogindSession::tty},
    {"sd_session_get_display", &LogindSession::display},
    {"sd_session_get_remote_host", &LogindSession::remote_host},
    {"sd_session_get_remote_user", &LogindSession::remote_user},
    {"sd_session_get_service", &LogindSession::service},
    {"sd_session_get_type", &LogindSession::type},
    {"sd_session_get_class", &LogindSession::klass},
    {"sd_session_get_state", &LogindSession::state},
    {"sd_session_get_desktop", &LogindSession::desktop},
};
constexpr size_t kStringFieldCount = sizeof kStringFields / sizeof kStringFields[0];

// The library and its functions, resolved once; a null pointer is a getter
// this version lacks.
struct SdLogin {
  void* handle = nullptr;
  std::string library;
  std::vector<std::string> missing;
  int (*get_sessions)(char***) = nullptr;
  int (*get_uid)(const char*, uid_t*) = nullptr;
  int (*get_vt)(const char*, unsigned*) = nullptr;
  int (*get_leader)(const char*, pid_t*) = nullptr;           // systemd 254+
  int (*get_start_time)(const char*, uint64_t*) = nullptr;    // systemd 254+
  int (*is_active)(const char*) = nullptr;
  int (*is_remote)(const char*) = nullptr;
  StringGetter strings[kStringFieldCount] = {};
};

template <typename F>
void Bind(SdLogin* sd, F* fn, const char* symbol) {
  *fn = reinterpret_cast<F>(dlsym(sd->handle, symbol));
  if (*fn == nullptr) sd->missing.push_back(symbol);
}

// libsystemd, else elogind's copy of the same API. UTMPX_LOGIND_LIBRARY names
// another library to try instead (empty: none), for tests of a system without.
void Load(SdLogin* sd) {
  std::vector<std::string> candidates = {"libsystemd.so.0", "libelogind.so.0"};
  if (const char* forced = getenv("UTMPX_LOGIND_LIBRARY")) {
    candidates.clear();
    if (*forced) candidates.push_back(forced);
  }
  for (const std::string& name : candidates) {
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) continue;
    if (dlsym(handle, "sd_get_sessions") == nullptr) {
      dlclose(handle);
      continue;
    }
    sd->handle = handle;  // kept for the life of the process
    sd->library = name;
    break;
  }
  if (sd->handle == nullptr) return;
  Bind(sd, &sd->get_sessions, "sd_get_sessions");
  Bind(sd, &sd->get_uid, "sd_session_get_uid");
  Bind(sd, &sd->get_vt, "sd_session_get_vt");
  Bind(sd, &sd->get_leader, "sd_session_get_leader");
  Bind(sd, &sd->get_start_time, "sd_session_get_start_time");
  Bind(sd, &sd->is_active, "sd_session_is_active");
  Bind(sd, &sd->is_remote, "sd_session_is_remote");
  for (size_t i = 0; i < kStringFieldCount; i++) Bind(sd, &sd->strings[i], kStringFields[i].symbol);
}

const SdLogin& Loaded() {
  static SdLogin sd;
  static std::once_flag once;
  std::call_once(once, [] { Load(&sd); });
  return sd;
}

// sd-login's own rule for a session id: letters and digits; it is part of a path.
bool ValidSessionId(const char* id) {
  if (*id == '\0') return false;
  for (const char* c = id; *c; c++) {
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) return false;
  }
  return true;
}

// Digits only, as systemd's safe_atou64 takes them: a value beyond 2^64-1 is
// refused, never wrapped.
std::optional<uint64_t> ParseUnsigned(const std::string& s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

// systemd's utf8_is_valid: well-formed UTF-8 of valid code points (no
// surrogates, no noncharacters).
bool ValidUtf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (*p < 0x80) {
      p++;
      continue;
    }
    int len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || end - p < len) return false;
    uint32_t ch = *p & (0xff >> (len + 1));
    for (int i = 1; i < len; i++) {
      if ((p[i] & 0xc0) != 0x80) return false;
      ch = (ch << 6) | (p[i] & 0x3f);
    }
    const int shortest = ch < 0x80 ? 1 : ch < 0x800 ? 2 : ch < 0x10000 ? 3 : 4;
    if (shortest != len || ch >= 0x110000 || (ch & 0xfffff800) == 0xd800 || (ch >= 0xfdd0 && ch <= 0xfdef) || (ch & 0xfffe) == 0xfffe) {
      return false;
    }
    p += len;
  }
  return true;
}

// A session file as sd-login would read it, or nullopt when it must not be
// handed to libsystemd: anything but a regular file (a FIFO would block its
// open for ever, /dev/zero never ends), one larger than any logind writes, or
// one with invalid UTF-8, which libsystemd rejects whole while logging the raw
// bytes to our stderr (once per getter) with no way to silence it: systemd 252
// and 257 read no SYSTEMD_LOG_* variable in the library and export no log
// level setter.
constexpr off_t kMaxSessionFileBytes = 64 * 1024;  // logind writes well under 1 KiB

std::optional<std::string> ReadSessionFile(const char* id) {
  if (!ValidSessionId(id)) return std::nullopt;
  const std::string path = std::string("/run/systemd/sessions/") + id;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxSessionFileBytes) return std::nullopt;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  std::string text;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);  // the file opened is the one checked
  char buf[4096];
  while (ok) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > static_cast<size_t>(kMaxSessionFileBytes)) ok = false;  // grew since the stat
  }
  close(fd);
  if (!ok) return std::nullopt;
  text.resize(strnlen(text.c_str(), text.size()));  // libsystemd stops at a NUL byte
  if (!ValidUtf8(text)) return std::nullopt;
  return text;
}

// For a libsystemd older than 254: USER=, LEADER= and REALTIME= of the session
// file, the very keys sd_session_get_username/_leader/_start_time read there
// in 254 and later. Only the fields whose getter is missing are taken.
void FillFromSessionFile(const SdLogin& sd, const std::string& text, LogindSession* s) {
  const bool want_user = sd.strings[0] == nullptr, want_leader = sd.get_leader == nullptr,
             want_start = sd.get_start_time == nullptr;
  if (!(want_user || want_leader || want_start)) return;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty()) continue;
    if (key == "USER" && want_user) {
      s->user = value;
      s->from_file.push_back("user");
    } else if (key == "LEADER" && want_leader) {
      // As systemd's parse_pid: a pid_t above 0, else no leader.
      auto pid = ParseUnsigned(value);
      if (pid && *pid > 0 && *pid <= INT32_MAX) {
        s->leader = static_cast<double>(*pid);
        s->from_file.push_back("leader");
      }
    } else if (key == "REALTIME" && want_start) {
      if (auto usec = ParseUnsigned(value)) {
        s->start_usec = static_cast<double>(*usec);
        s->from_file.push_back("startTime");
      }
    }
  }
}

// coreutils' guess for a "tty" session that names no tty (ssh): the pty under
// /dev/pts owned by `uid` whose ctime is the first at or after the session
// start, if it is within 5 seconds of it. Returns "pts/N".
std::optional<std::string> GuessPty(uid_t uid, double start_usec) {
  DIR* dir = opendir("/dev/pts");
  if (dir == nullptr) return std::nullopt;
  const int64_t at_sec = static_cast<int64_t>(start_usec / 1e6);
  const int64_t at_nsec = static_cast<int64_t>(start_usec - static_cast<double>(at_sec) * 1e6) * 1000;
  auto before = [](int64_t s1, int64_t n1, int64_t s2, int64_t n2) { return s1 < s2 || (s1 == s2 && n1 < n2); };
  std::string best;
  int64_t best_sec = 0, best_nsec = 0;
  while (struct dirent* d = readdir(dir)) {
    if (d->d_name[0] == '.' || strlen(d->d_name) > 10) continue;
    std::string path = std::string("/dev/pts/") + d->d_name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || st.st_uid != uid) continue;
    const int64_t cs = st.st_ctim.tv_sec, cn = st.st_ctim.tv_nsec;
    if (before(cs, cn, at_sec, at_nsec)) continue;
    if (best.empty() || before(cs, cn, best_sec, best_nsec)) {
      best = path.substr(5);
      best_sec = cs;
      best_nsec = cn;
    }
  }
  closedir(dir);
  if (best.empty() || before(at_sec + 5, at_nsec, best_sec, best_nsec)) return std::nullopt;
  return best;
}

// A session whose file cannot be read safely is its id alone: what sd-login
// itself answers for a file it rejects, without its getters touching it.
LogindSession ReadSession(const SdLogin& sd, const char* id) {
  LogindSession s;
  s.id = id;
  const std::optional<std::string> file = ReadSessionFile(id);
  if (!file) return s;
  for (size_t i = 0; i < kStringFieldCount; i++) {
    if (sd.strings[i] == nullptr) continue;
    char* value = nullptr;
    if (sd.strings[i](id, &value) >= 0 && value != nullptr) s.*(kStringFields[i].field) = std::string(value);
    free(value);
  }
  uid_t uid;
  if (sd.get_uid && sd.get_uid(id, &uid) >= 0) s.uid = static_cast<double>(uid);
  unsigned vt;
  if (sd.get_vt && sd.get_vt(id, &vt) >= 0) s.vt = static_cast<double>(vt);
  pid_t leader;
  if (sd.get_leader && sd.get_leader(id, &leader) >= 0 && leader > 0) s.leader = static_cast<double>(leader);
  uint64_t usec;
  if (sd.get_start_time && sd.get_start_time(id, &usec) >= 0) s.start_usec = static_cast<double>(usec);
  int r;
  if (sd.is_active && (r = sd.is_active(id)) >= 0) s.active = r > 0;
  if (sd.is_remote && (r = sd.is_remote(id)) >= 0) s.remote = r > 0;
  FillFromSessionFile(sd, *file, &s);
  if (!s.tty && s.type && *s.type == "tty" && s.uid) {
    s.guessed_pty = GuessPty(static_cast<uid_t>(*s.uid), s.start_usec.value_or(0));
  }
  return s;
}

LogindSnapshot ReadSnapshot() {
  LogindSnapshot snap;
  const SdLogin& sd = Loaded();
  if (sd.handle == nullptr) return snap;
  snap.available = true;
  snap.library = sd.library;
  char** ids = nullptr;
  int n = sd.get_sessions(&ids);
  if (n < 0) {
    snap.error = SysError{-n, "sd_get_sessions", "/run/systemd/sessions"};
  }
  for (char** p = ids; n >= 0 && p && *p; p++) snap.sessions.push_back(ReadSession(sd, *p));
  for (char** p = ids; p && *p; p++) free(*p);
  free(ids);
  return snap;
}

#else

LogindSnapshot ReadSnapshot() { return LogindSnapshot(); }

#endif

void SetIf(Napi::Env env, Napi::Object o, const char* key, const std::optional<std::string>& v) {
  if (v) o.Set(key, Napi::String::New(env, *v));
}
void SetIf(Napi::Env env, Napi::Object o, const char* key, const std::optional<double>& v) {
  if (v) o.Set(key, Napi::Number::New(env, *v));
}
void SetIf(Napi::Env env, Napi::Object o, const char* key, const std::optional<bool>& v) {
  if (v) o.Set(key, Napi::Boolean::New(env, *v));
}

Napi::Object SessionToObject(Napi::Env env, const LogindSession& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::String::New(env, s.id));
  SetIf(env, o, "uid", s.uid);
  SetIf(env, o, "user", s.user);
  SetIf(env, o, "seat", s.seat);
  SetIf(env, o, "tty", s.tty);
  SetIf(env, o, "display", s.display);
  SetIf(env, o, "remoteHost", s.remote_host);
  SetIf(env, o, "remoteUser", s.remote_user);
  SetIf(env, o, "service", s.service);
  SetIf(env, o, "type", s.type);
  SetIf(env, o, "class", s.klass);
  SetIf(env, o, "state", s.state);
  SetIf(env, o, "desktop", s.desktop);
  SetIf(env, o, "vt", s.vt);
  SetIf(env, o, "leader", s.leader);
  SetIf(env, o, "startUsec", s.start_usec);
  SetIf(env, o, "active", s.active);
  SetIf(env, o, "remote", s.remote);
  SetIf(env, o, "guessedPty", s.guessed_pty);
  Napi::Array from_file = Napi::Array::New(env, s.from_file.size());
  for (size_t i = 0; i < s.from_file.size(); i++) from_file.Set(static_cast<uint32_t>(i), Napi::String::New(env, s.from_file[i]));
  o.Set("fromFile", from_file);
  return o;
}

Napi::Value SnapshotToJs(Napi::Env env, const LogindSnapshot& snap) {
  if (!snap.available) return env.Null();
  if (snap.error.failed()) throw MakeErrnoError(env, snap.error);
  Napi::Array sessions = Napi::Array::New(env, snap.sessions.size());
  for (size_t i = 0; i < snap.sessions.size(); i++) sessions.Set(static_cast<uint32_t>(i), SessionToObject(env, snap.sessions[i]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("library", Napi::String::New(env, snap.library));
  result.Set("sessions", sessions);
  return result;
}

}  // namespace

Napi::Value ReadLogindSync(const Napi::CallbackInfo& info) {
  return SnapshotToJs(info.Env(), ReadSnapshot());
}

Napi::Value ReadLogindAsync(const Napi::CallbackInfo& info) {
  return QueuePromise<LogindSnapshot>(info.Env(), "utmpx:logind", [] { return ReadSnapshot(); }, SnapshotToJs);
}

Napi::Value LogindInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#if defined(UTMPX_HAVE_LOGIND)
  const SdLogin& sd = Loaded();
  o.Set("library", sd.handle ? Napi::Value(Napi::String::New(env, sd.library)) : env.Null());
  Napi::Array missing = Napi::Array::New(env, sd.missing.size());
  for (size_t i = 0; i < sd.missing.size(); i++) missing.Set(static_cast<uint32_t>(i), Napi::String::New(env, sd.missing[i]));
  o.Set("missing", missing);
#else
  o.Set("library", env.Null());
  o.Set("missing", Napi::Array::New(env, 0));
#endif
  return o;
}

}  // namespace utmpx_addon
