// SQLite, read-only, loaded with dlopen.
//
// Why the addon and not node:sqlite: node:sqlite is missing on Node 20 (Debian
// 13's own nodejs) and warns as experimental on 22; one path behaves the same
// on every Node from 20 to 26, and the system's libsqlite3 is present wherever
// wtmpdb or lastlog2 write their databases.
//
// How it stays out of the writers' way (sshd, pam_wtmpdb, pam_lastlog2): each
// call opens its own read-only connection, runs one statement for a bounded
// number of rows and closes it, so a SHARED lock lasts one batch (ms). No
// connection or descriptor outlives a call, so an iterator dropped early
// leaves nothing open. Nothing is ever written beside a database (see
// OpenUri for WAL databases).
//
// How it stays safe on a hostile file (a copy from another machine, a file
// a user passes): only real tables are read, never a view or a virtual table
// (an authorizer sees what a statement reads; sqlite_schema says what it
// is), triggers are off, the schema is untrusted (trusted_schema off,
// defensive on), no value may exceed kMaxValueBytes, a batch stops early
// once it holds kMaxBatchBytes, and a progress handler bounds the work of a
// row and of a batch, so no input holds a thread or memory without bound.
#include "sqlite.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "errors.h"
#include "promise_worker.h"

namespace utmpx_addon {

namespace {

// The few declarations of sqlite3.h used here (its ABI is stable since 3.0).
struct sqlite3;
struct sqlite3_stmt;
constexpr int kOk = 0;
constexpr int kRow = 100;
constexpr int kDone = 101;
constexpr int kOpenReadOnly = 0x00000001;
constexpr int kOpenUri = 0x00000040;
constexpr int kOpenNoMutex = 0x00008000;
constexpr int kInteger = 1;
constexpr int kFloat = 2;
constexpr int kNull = 5;
constexpr int kInterrupt = 9;
constexpr int kTooBig = 18;
// sqlite3_db_config options (each a no-op error on a library too old to know it).
constexpr int kConfigEnableTrigger = 1003;
constexpr int kConfigNoCheckpointOnClose = 1006;
constexpr int kConfigDefensive = 1010;
constexpr int kConfigTrustedSchema = 1017;
// sqlite3_limit categories.
constexpr int kLimitLength = 0;
constexpr int kLimitAttached = 7;
constexpr int kLimitWorkerThreads = 11;
// Authorizer actions and answers.
constexpr int kActionRead = 20;
constexpr int kDeny = 1;

// The bounds a read keeps on any input. A real wtmpdb or lastlog2 value is a
// few dozen bytes; a batch of 8192 real rows is well under 1 MB.
constexpr int kMaxValueBytes = 4 << 20;       // a bigger value is ERR_UTMPX_SQLITE_TOO_BIG
constexpr size_t kMaxBatchBytes = 8 << 20;    // a batch this full stops early (complete: false)
constexpr size_t kMaxSharedBytes = 1024;      // longer strings are not looked up among those seen
// The largest integer a double holds exactly, with every smaller one (2^53).
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;
// Work: VM instructions between two rows (or before the first), counted by
// thousands through the progress handler, and the wall time of a batch (a
// function can do much work in one instruction). A real batch needs a few
// million instructions and milliseconds; a generated column that computes
// something expensive meets these instead. The time bound is what lets a
// thread of the pool go, and a process exit, whatever the file.
constexpr int kProgressEvery = 1000;
constexpr long kMaxTicksPerRow = 100000;      // 1e8 instructions
constexpr auto kMaxTimePerBatch = std::chrono::seconds(10);

struct Api {
  int (*open_v2)(const char*, sqlite3**, int, const char*);
  int (*close_v2)(sqlite3*);
  int (*prepare_v2)(sqlite3*, const char*, int, sqlite3_stmt**, const char**);
  int (*bind_int64)(sqlite3_stmt*, int, int64_t);
  int (*bind_double)(sqlite3_stmt*, int, double);
  int (*bind_text)(sqlite3_stmt*, int, const char*, int, void (*)(void*));
  int (*step)(sqlite3_stmt*);
  int (*column_count)(sqlite3_stmt*);
  int (*column_type)(sqlite3_stmt*, int);
  int64_t (*column_int64)(sqlite3_stmt*, int);
  double (*column_double)(sqlite3_stmt*, int);
  const unsigned char* (*column_text)(sqlite3_stmt*, int);
  int (*column_bytes)(sqlite3_stmt*, int);
  int (*finalize)(sqlite3_stmt*);
  const char* (*errmsg)(sqlite3*);
  const char* (*errstr)(int);
  int (*extended_errcode)(sqlite3*);
  int (*busy_handler)(sqlite3*, int (*)(void*, int), void*);
  int (*threadsafe)();
  const char* (*libversion)();
  int (*db_config)(sqlite3*, int, ...);
  int (*limit)(sqlite3*, int, int);
  void (*progress_handler)(sqlite3*, int, int (*)(void*), void*);
  int (*set_authorizer)(sqlite3*, int (*)(void*, int, const char*, const char*, const char*, const char*), void*);
  int (*exec)(sqlite3*, const char*, int (*)(void*, int, char**, char**), void*, char**);
};

struct Library {
  bool loaded = false;
  Api api{};
  std::string name;   // the file that was loaded
  std::string error;  // why none could be
  // Held around every call when the library was built without threads.
  bool serialize = false;
  std::mutex mutex;
};

#if defined(__APPLE__)
const char* const kNames[] = {"/usr/lib/libsqlite3.dylib", "libsqlite3.dylib", "libsqlite3.0.dylib"};
#elif defined(__FreeBSD__)
const char* const kNames[] = {"libsqlite3.so", "libsqlite3.so.0"};
#else
const char* const kNames[] = {"libsqlite3.so.0", "libsqlite3.so"};
#endif

template <typename F>
bool Bind(void* handle, const char* symbol, F& fn) {
  fn = reinterpret_cast<F>(dlsym(handle, symbol));
  return fn != nullptr;
}

bool LoadApi(void* h, Api& a) {
  return Bind(h, "sqlite3_open_v2", a.open_v2) && Bind(h, "sqlite3_close_v2", a.close_v2) &&
         Bind(h, "sqlite3_prepare_v2", a.prepare_v2) && Bind(h, "sqlite3_bind_int64", a.bind_int64) &&
         Bind(h, "sqlite3_bind_double", a.bind_double) &&
         Bind(h, "sqlite3_bind_text", a.bind_text) && Bind(h, "sqlite3_step", a.step) &&
         Bind(h, "sqlite3_column_count", a.column_count) && Bind(h, "sqlite3_column_type", a.column_type) &&
         Bind(h, "sqlite3_column_int64", a.column_int64) && Bind(h, "sqlite3_column_double", a.column_double) &&
         Bind(h, "sqlite3_column_text", a.column_text) && Bind(h, "sqlite3_column_bytes", a.column_bytes) &&
         Bind(h, "sqlite3_finalize", a.finalize) && Bind(h, "sqlite3_errmsg", a.errmsg) &&
         Bind(h, "sqlite3_errstr", a.errstr) && Bind(h, "sqlite3_extended_errcode", a.extended_errcode) &&
         Bind(h, "sqlite3_busy_handler", a.busy_handler) && Bind(h, "sqlite3_threadsafe", a.threadsafe) &&
         Bind(h, "sqlite3_libversion", a.libversion) && Bind(h, "sqlite3_db_config", a.db_config) &&
         Bind(h, "sqlite3_limit", a.limit) && Bind(h, "sqlite3_progress_handler", a.progress_handler) &&
         Bind(h, "sqlite3_set_authorizer", a.set_authorizer) && Bind(h, "sqlite3_exec", a.exec);
}

// Loaded once per process (any thread may be first); never unloaded.
Library& Sqlite() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* name : kNames) {
      // RTLD_LOCAL: our copy's symbols do not leak into the process (Node 22+
      // carries its own SQLite).
      void* handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        if (lib.error.empty()) lib.error = dlerror();
        continue;
      }
      Api api{};
      if (!LoadApi(handle, api)) {
        lib.error = std::string(name) + " lacks a function this reader needs (SQLite 3.7.15 or later is required)";
        dlclose(handle);
        continue;
      }
      lib.api = api;
      lib.name = name;
      lib.loaded = true;
      lib.serialize = api.threadsafe() == 0;
      lib.error.clear();
      return;
    }
  });
  return lib;
}

// A failure, captured off the main thread and turned into an Error on it.
struct Failure {
  std::string code;     // ENOENT, EACCES, ENOSYS, SQLITE_BUSY, SQLITE_NOTADB, ...
  int errnum = 0;       // for errno failures
  int sqlite_code = 0;  // the extended result code, for SQLite failures
  std::string syscall;
  std::string message;  // what failed, without the path
  bool failed() const { return !code.empty(); }
};

struct Batch {
  Failure failure;
  std::string path;
  int columns = 0;
  size_t rows = 0;
  bool complete = false;  // the statement ran to its end (SQLITE_DONE)
  std::vector<double> numbers;
  std::vector<int32_t> texts;
  std::vector<std::string> strings;
};

const char* SqliteCodeName(int primary) {
  switch (primary) {
    case 1: return "SQLITE_ERROR";
    case 2: return "SQLITE_INTERNAL";
    case 3: return "SQLITE_PERM";
    case 5: return "SQLITE_BUSY";
    case 6: return "SQLITE_LOCKED";
    case 7: return "SQLITE_NOMEM";
    case 8: return "SQLITE_READONLY";
    case 9: return "SQLITE_INTERRUPT";
    case 10: return "SQLITE_IOERR";
    case 11: return "SQLITE_CORRUPT";
    case 13: return "SQLITE_FULL";
    case 14: return "SQLITE_CANTOPEN";
    case 15: return "SQLITE_PROTOCOL";
    case 17: return "SQLITE_SCHEMA";
    case 18: return "SQLITE_TOOBIG";
    case 21: return "SQLITE_MISUSE";
    case 23: return "SQLITE_AUTH";
    case 25: return "SQLITE_RANGE";
    case 26: return "SQLITE_NOTADB";
    default: return "SQLITE_ERROR";
  }
}

void ErrnoFailure(Failure& f, int errnum, const char* syscall) {
  f.errnum = errnum;
  f.syscall = syscall;
  f.code = "";
  f.message = std::strerror(errnum);
  // The errno names Node uses, for the errors a database path meets.
  switch (errnum) {
    case ENOENT: f.code = "ENOENT"; break;
    case EACCES: f.code = "EACCES"; break;
    case EPERM: f.code = "EPERM"; break;
    case EISDIR: f.code = "EISDIR"; break;
    case ENOTDIR: f.code = "ENOTDIR"; break;
    case ELOOP: f.code = "ELOOP"; break;
    case ENAMETOOLONG: f.code = "ENAMETOOLONG"; break;
    case EMFILE: f.code = "EMFILE"; break;
    case ENFILE: f.code = "ENFILE"; break;
    case EIO: f.code = "EIO"; break;
    case ENXIO: f.code = "ENXIO"; break;  // a socket, opened by path
    default: f.code = "EUNKNOWN"; break;
  }
}

void SqliteFailure(Failure& f, const Api& api, sqlite3* db, int rc, const char* syscall) {
  int extended = db ? api.extended_errcode(db) : rc;
  if (extended == 0) extended = rc;
  f.sqlite_code = extended;
  f.code = SqliteCodeName(extended & 0xff);
  f.syscall = syscall;
  f.message = db ? api.errmsg(db) : api.errstr(rc);
  // The bounds of a hostile file (see the top of this file), as codes of their own.
  if ((extended & 0xff) == kTooBig) {
    f.code = "ERR_UTMPX_SQLITE_TOO_BIG";
    f.message = "a value is larger than " + std::to_string(kMaxValueBytes >> 20) + " MB";
  } else if ((extended & 0xff) == kInterrupt) {
    f.code = "ERR_UTMPX_SQLITE_TOO_MUCH_WORK";
    f.message = "more than " + std::to_string(kMaxTicksPerRow / 1000) + " million instructions for one row, or " +
                std::to_string(kMaxTimePerBatch.count()) + " s for one batch";
  }
}

// What the file is, before SQLite sees it: the errno of the path (so a
// missing or root-only database reads as ENOENT or EACCES, as fs reports
// them, and a socket as ENXIO), EFTYPE for anything but a regular file (a
// FIFO would block SQLite's open, a device never ends), the 16-byte header
// "SQLite format 3\0", and whether it is in WAL mode.
struct Probe {
  bool wal = false;
};

const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

bool ProbeFile(const std::string& path, Probe& probe, Failure& f) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    ErrnoFailure(f, errno, "open");
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ErrnoFailure(f, errno, "fstat");
    close(fd);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    ErrnoFailure(f, EISDIR, "read");
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    f.code = "EFTYPE";
    f.errnum = -kUvEftype;
    f.syscall = "open";
    f.message = FileKind(st.st_mode);
    return false;
  }
  unsigned char header[100] = {0};
  ssize_t n;
  do n = pread(fd, header, sizeof header, 0); while (n < 0 && errno == EINTR);
  int read_errno = errno;
  close(fd);
  if (n < 0) {
    ErrnoFailure(f, read_errno, "read");
    return false;
  }
  if (n < 100 || std::memcmp(header, "SQLite format 3", 16) != 0) {
    f.code = "SQLITE_NOTADB";
    f.sqlite_code = 26;
    f.syscall = "read";
    f.message = "file is not a database (no SQLite header)";
    return false;
  }
  // Bytes 18 and 19: the read and write versions, 2 in WAL mode.
  probe.wal = header[18] == 2 || header[19] == 2;
  return true;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// How a database is opened so that nothing is written beside it.
enum class OpenMode {
  kNormal,     // rollback journal, or WAL with -wal and -shm: a writer may be live
  kImmutable,  // WAL without -wal: no writer has it open, the main file holds every commit
  kHeapWal,    // WAL with -wal but no -shm (a copy, a crash)
};

// Why kHeapWal: a read-only connection to a WAL database creates the -shm
// (its wal-index) when it is missing, and opening immutable would miss the
// commits still in the -wal. SQLite keeps the wal-index in heap memory when
// the connection is in exclusive locking mode before its first read, but a
// read-only descriptor cannot take the exclusive lock that mode wants; the
// "unix-none" VFS (no locks) lets it. No -shm means no live WAL writer (each
// keeps the -shm while it has the database open), so there is no one to
// lock against; checkpoint-on-close is off so the connection never writes.
OpenMode ModeFor(const std::string& path, const Probe& probe) {
  if (!probe.wal) return OpenMode::kNormal;
  if (!Exists(path + "-wal")) return OpenMode::kImmutable;
  if (!Exists(path + "-shm")) return OpenMode::kHeapWal;
  return OpenMode::kNormal;
}

// file: URI of `path` (RFC 3986: every byte but the unreserved ones and '/' escaped).
std::string FileUri(const std::string& path, OpenMode mode) {
  static const char hex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 15];
    }
  }
  uri += "?mode=ro";
  if (mode == OpenMode::kImmutable) uri += "&immutable=1";
  if (mode == OpenMode::kHeapWal) uri += "&vfs=unix-none";
  return uri;
}

// A bound parameter: a number, a text when `is_text`, a 64-bit integer (a JS bigint) when `is_integer`.
struct Param {
  bool is_text = false;
  bool is_integer = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;
};

struct Query {
  std::string path;
  std::string sql;
  std::vector<Param> params;
  size_t max_rows = 0;
  int busy_ms = 0;
};

// Waits for a writer's lock by polling every half millisecond, up to
// `busy_ms`. SQLite's own busy timeout sleeps up to 100 ms between tries, and
// against a writer that commits every few ms it wakes up inside a
// transaction again and again until it gives up: polling finely finds the
// gaps between transactions.
struct BusyWait {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int busy_ms = 0;

  static int Retry(void* self, int) {
    auto* wait = static_cast<BusyWait*>(self);
    auto waited = std::chrono::steady_clock::now() - wait->start;
    if (waited >= std::chrono::milliseconds(wait->busy_ms)) return 0;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    return 1;
  }
};

// Interrupts the statement (SQLITE_INTERRUPT) past kMaxTicksPerRow thousand
// instructions since the last row, or kMaxTimePerBatch since it began.
struct WorkBound {
  long ticks = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  void Row() { ticks = 0; }
  static int Tick(void* self) {
    auto* bound = static_cast<WorkBound*>(self);
    return ++bound->ticks > kMaxTicksPerRow || std::chrono::steady_clock::now() - bound->start > kMaxTimePerBatch;
  }
};

// What a statement reads, seen by the authorizer while it is prepared: the
// tables named in it, and the first view (or trigger) it would run.
struct Reads {
  std::vector<std::string> tables;
  std::string view;

  static int Check(void* self, int action, const char* a1, const char*, const char*, const char* inner) {
    auto* reads = static_cast<Reads*>(self);
    if (inner) {  // code of a view (or trigger) is being compiled
      if (reads->view.empty()) reads->view = inner;
      return kDeny;
    }
    if (action == kActionRead && a1) {
      std::string table(a1);
      bool seen = false;
      for (const auto& t : reads->tables) seen = seen || t == table;
      if (!seen) reads->tables.push_back(std::move(table));
    }
    return 0;
  }
};

void SchemaFailure(Failure& f, const std::string& what) {
  f.code = "ERR_UTMPX_SQLITE_NOT_A_TABLE";
  f.syscall = "sqlite3_prepare_v2";
  f.message = what;
}

// Whether `table` is a real table of the main database (sqlite_schema type
// 'table', not created VIRTUAL): a view or a virtual table runs code of the
// file's choosing on every read.
bool IsRealTable(const Api& api, sqlite3* db, const std::string& table, Failure& f) {
  static const char kSql[] = "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND rootpage > 0 AND name = ?1";
  sqlite3_stmt* stmt = nullptr;
  int rc = api.prepare_v2(db, kSql, -1, &stmt, nullptr);
  if (rc != kOk) {
    SqliteFailure(f, api, db, rc, "sqlite3_prepare_v2");
    return false;
  }
  api.bind_text(stmt, 1, table.data(), static_cast<int>(table.size()), reinterpret_cast<void (*)(void*)>(-1));
  rc = api.step(stmt);
  bool real = false;
  if (rc == kRow) {
    const unsigned char* sql = api.column_text(stmt, 0);
    std::string head;
    for (const unsigned char* p = sql; p && *p && head.size() < 20; p++) {
      if (!std::isspace(*p)) head += static_cast<char>(std::toupper(*p));
    }
    real = head.rfind("CREATEVIRTUAL", 0) != 0;
    if (!real) SchemaFailure(f, "'" + table + "' is a virtual table, not a table");
  } else if (rc == kDone) {
    SchemaFailure(f, "'" + table + "' is not a table (a view?)");
  } else {
    SqliteFailure(f, api, db, rc, "sqlite3_step");
  }
  api.finalize(stmt);
  return real;
}

// A connection that trusts nothing in the file and writes nothing.
void Harden(const Api& api, sqlite3* db, OpenMode mode) {
  api.db_config(db, kConfigDefensive, 1, nullptr);
  api.db_config(db, kConfigTrustedSchema, 0, nullptr);
  api.db_config(db, kConfigEnableTrigger, 0, nullptr);
  api.db_config(db, kConfigNoCheckpointOnClose, 1, nullptr);
  api.limit(db, kLimitLength, kMaxValueBytes);
  api.limit(db, kLimitAttached, 0);
  api.limit(db, kLimitWorkerThreads, 0);
  // Before the first read, so that the wal-index lives in heap memory (see ModeFor).
  if (mode == OpenMode::kHeapWal) api.exec(db, "PRAGMA locking_mode=EXCLUSIVE", nullptr, nullptr, nullptr);
  api.exec(db, "PRAGMA query_only=ON", nullptr, nullptr, nullptr);
}

void RunQuery(const Library& lib, const Query& q, Batch& out) {
  const Api& api = lib.api;
  Probe probe;
  if (!ProbeFile(q.path, probe, out.failure)) return;
  const OpenMode mode = ModeFor(q.path, probe);
  sqlite3* db = nullptr;
  int rc = api.open_v2(FileUri(q.path, mode).c_str(), &db, kOpenReadOnly | kOpenUri | kOpenNoMutex, nullptr);
  if (rc != kOk) {
    SqliteFailure(out.failure, api, db, rc, "sqlite3_open_v2");
    api.close_v2(db);
    return;
  }
  Harden(api, db, mode);
  BusyWait wait;
  wait.busy_ms = q.busy_ms;
  api.busy_handler(db, &BusyWait::Retry, &wait);
  WorkBound work;
  api.progress_handler(db, kProgressEvery, &WorkBound::Tick, &work);
  // One read transaction: the schema checked is the schema read.
  api.exec(db, "BEGIN", nullptr, nullptr, nullptr);
  Reads reads;
  api.set_authorizer(db, &Reads::Check, &reads);
  sqlite3_stmt* stmt = nullptr;
  rc = api.prepare_v2(db, q.sql.c_str(), static_cast<int>(q.sql.size()), &stmt, nullptr);
  api.set_authorizer(db, nullptr, nullptr);
  if (rc != kOk) {
    if (!reads.view.empty()) SchemaFailure(out.failure, "'" + reads.view + "' is a view, not a table");
    else SqliteFailure(out.failure, api, db, rc, "sqlite3_prepare_v2");
    api.close_v2(db);
    return;
  }
  for (const auto& table : reads.tables) {
    if (!IsRealTable(api, db, table, out.failure)) {
      api.finalize(stmt);
      api.close_v2(db);
      return;
    }
  }
  for (size_t i = 0; i < q.params.size(); i++) {
    const Param& p = q.params[i];
    const double v = p.number;
    int index = static_cast<int>(i) + 1;
    // SQLITE_TRANSIENT: SQLite copies the text.
    if (p.is_text) api.bind_text(stmt, index, p.text.data(), static_cast<int>(p.text.size()), reinterpret_cast<void (*)(void*)>(-1));
    else if (p.is_integer) api.bind_int64(stmt, index, p.integer);
    else if (std::trunc(v) == v && std::fabs(v) < 9.2e18) api.bind_int64(stmt, index, static_cast<int64_t>(v));
    else api.bind_double(stmt, index, v);
  }
  const int columns = api.column_count(stmt);
  out.columns = columns;
  std::unordered_map<std::string, int32_t> seen;
  size_t bytes = 0;
  work.Row();
  while (out.rows < q.max_rows) {
    if (bytes >= kMaxBatchBytes) break;  // not complete: the caller asks for the rest
    rc = api.step(stmt);
    if (rc == kDone) {
      out.complete = true;
      break;
    }
    if (rc != kRow) {
      SqliteFailure(out.failure, api, db, rc, "sqlite3_step");
      break;
    }
    for (int c = 0; c < columns; c++) {
      const int type = api.column_type(stmt, c);
      bytes += sizeof(double) + sizeof(int32_t);
      if (type == kNull) {
        out.numbers.push_back(std::numeric_limits<double>::quiet_NaN());
        out.texts.push_back(-1);
      } else if (type == kInteger) {
        const int64_t v = api.column_int64(stmt, c);
        out.numbers.push_back(static_cast<double>(v));
        // Beyond 2^53 a double rounds it: its exact digits go beside it, as a string.
        if (v > kMaxExactInteger || v < -kMaxExactInteger) {
          out.texts.push_back(static_cast<int32_t>(out.strings.size()));
          out.strings.push_back(std::to_string(v));
          bytes += 20;
        } else {
          out.texts.push_back(-1);
        }
      } else if (type == kFloat) {
        out.numbers.push_back(api.column_double(stmt, c));
        out.texts.push_back(-1);
      } else {  // text, or a blob read as text
        const unsigned char* text = api.column_text(stmt, c);
        const int size = api.column_bytes(stmt, c);
        std::string s(text ? reinterpret_cast<const char*>(text) : "", text ? static_cast<size_t>(size) : 0);
        // Short values repeat (lines, hosts, services): each is handed over once.
        // Long ones seldom do, and hashing and keeping a copy would double their cost.
        const bool shared = s.size() <= kMaxSharedBytes;
        auto found = shared ? seen.find(s) : seen.end();
        int32_t index;
        if (found != seen.end()) {
          index = found->second;
        } else {
          index = static_cast<int32_t>(out.strings.size());
          bytes += shared ? 2 * s.size() : s.size();  // the string, and its key in `seen`
          if (shared) seen.emplace(s, index);
          out.strings.push_back(std::move(s));
        }
        out.numbers.push_back(std::numeric_limits<double>::quiet_NaN());
        out.texts.push_back(index);
      }
    }
    out.rows++;
    work.Row();
  }
  api.finalize(stmt);
  api.close_v2(db);
}

Batch Read(const Query& q) {
  Batch out;
  out.path = q.path;
  Library& lib = Sqlite();
  if (!lib.loaded) {
    out.failure.code = "ENOSYS";
    out.failure.errnum = ENOSYS;
    out.failure.syscall = "dlopen";
    out.failure.message = "SQLite could not be loaded (" + lib.error + ")";
    return out;
  }
  if (lib.serialize) {
    std::lock_guard<std::mutex> hold(lib.mutex);
    RunQuery(lib, q, out);
  } else {
    RunQuery(lib, q, out);
  }
  return out;
}

Napi::Value BatchToJs(Napi::Env env, const Batch& b) {
  if (b.failure.failed()) {
    const Failure& f = b.failure;
    Napi::Error error = Napi::Error::New(env, f.code + ": " + f.message + ", " + f.syscall + " '" + b.path + "'");
    error.Set("code", Napi::String::New(env, f.code));
    if (f.errnum) error.Set("errno", Napi::Number::New(env, -f.errnum));
    if (f.sqlite_code) error.Set("sqliteCode", Napi::Number::New(env, f.sqlite_code));
    error.Set("syscall", Napi::String::New(env, f.syscall));
    error.Set("path", Napi::String::New(env, b.path));
    error.Set("reason", Napi::String::New(env, f.message));
    throw error;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("columns", Napi::Number::New(env, b.columns));
  o.Set("rows", Napi::Number::New(env, static_cast<double>(b.rows)));
  o.Set("complete", Napi::Boolean::New(env, b.complete));
  Napi::Float64Array numbers = Napi::Float64Array::New(env, b.numbers.size());
  if (!b.numbers.empty()) std::memcpy(numbers.Data(), b.numbers.data(), b.numbers.size() * sizeof(double));
  Napi::Int32Array texts = Napi::Int32Array::New(env, b.texts.size());
  if (!b.texts.empty()) std::memcpy(texts.Data(), b.texts.data(), b.texts.size() * sizeof(int32_t));
  Napi::Array strings = Napi::Array::New(env, b.strings.size());
  for (size_t i = 0; i < b.strings.size(); i++) {
    strings.Set(static_cast<uint32_t>(i), Napi::String::New(env, b.strings[i]));
  }
  o.Set("numbers", numbers);
  o.Set("texts", texts);
  o.Set("strings", strings);
  return o;
}

Query QueryArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto path = PathArgument(info);
  if (!path) throw Napi::TypeError::New(env, "The \"path\" argument must be a string");
  if (info.Length() < 5 || !info[1].IsString() || !info[2].IsArray() || !info[3].IsNumber() || !info[4].IsNumber()) {
    throw Napi::TypeError::New(env, "sqliteRead(path, sql, params, maxRows, busyMs)");
  }
  Query q;
  q.path = *path;
  q.sql = info[1].As<Napi::String>().Utf8Value();
  Napi::Array params = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < params.Length(); i++) {
    Napi::Value v = params.Get(i);
    Param p;
    if (v.IsNumber()) {
      p.number = v.As<Napi::Number>().DoubleValue();
    } else if (v.IsString()) {
      p.is_text = true;
      p.text = v.As<Napi::String>().Utf8Value();
    } else if (v.IsBigInt()) {
      bool lossless = false;
      p.is_integer = true;
      p.integer = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) throw Napi::RangeError::New(env, "sqliteRead: a bigint param must fit 64 bits");
    } else {
      throw Napi::TypeError::New(env, "sqliteRead: params must be numbers, strings or bigints");
    }
    q.params.push_back(std::move(p));
  }
  double max_rows = info[3].As<Napi::Number>().DoubleValue();
  double busy_ms = info[4].As<Napi::Number>().DoubleValue();
  if (!(max_rows >= 1 && max_rows <= 1e7) || !(busy_ms >= 0 && busy_ms <= 60000)) {
    throw Napi::RangeError::New(env, "sqliteRead: maxRows 1..1e7, busyMs 0..60000");
  }
  q.max_rows = static_cast<size_t>(max_rows);
  q.busy_ms = static_cast<int>(busy_ms);
  return q;
}

}  // namespace

Napi::Value SqliteReadSync(const Napi::CallbackInfo& info) {
  return BatchToJs(info.Env(), Read(QueryArgs(info)));
}

Napi::Value SqliteReadAsync(const Napi::CallbackInfo& info) {
  Query q = QueryArgs(info);
  return QueuePromise<Batch>(info.Env(), "utmpx:sqlite", [q] { return Read(q); }, BatchToJs);
}

Napi::Value SqliteInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Library& lib = Sqlite();
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, lib.loaded));
  o.Set("library", lib.loaded ? Napi::String::New(env, lib.name) : env.Null());
  o.Set("version", lib.loaded ? Napi::String::New(env, lib.api.libversion()) : env.Null());
  o.Set("error", lib.loaded ? env.Null() : Napi::String::New(env, lib.error));
  return o;
}

}  // namespace utmpx_addon
