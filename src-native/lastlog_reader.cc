// What every OS's lastlog reader shares (lastlog_reader.h): the exported
// functions, their argument checks, the workers, the conversion to JS and the
// passwd lookups. The reading itself is lastlog_<os>.cc's.
#include "lastlog_reader.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "platform.h"
#include "promise_worker.h"

namespace utmpx_addon {

namespace {

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

}  // namespace

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

std::optional<uint32_t> KeyUid(const LastlogKey& key, const std::string& path, SysError* err) {
  if (key.uid) return key.uid;
  int rc = 0;
  std::optional<uint32_t> uid = UidOfName(key.name, &rc);
  if (rc != 0) *err = SysError{rc, "getpwnam_r", path};
  return uid;
}

namespace {

LastlogPath PathOf(const std::optional<std::string>& given, const LastlogFormat& format) {
  return {given, given ? *given : std::string(UTMPX_PATH_LASTLOG), format};
}

LastlogRead Read(const std::optional<std::string>& path, const LastlogKey& key, const LastlogFormat& format) {
  return PlatformReadLastlog(PathOf(path, format), key);
}

// `names`: resolve uids to account names (getpwuid_r per record: ~6 us for
// an account, ~70 us for a uid without one where nsswitch asks systemd).
LastlogScan Scan(const std::optional<std::string>& path, double offset, size_t max_records, bool names,
                 const LastlogFormat& format) {
  return PlatformScanLastlog(PathOf(path, format), offset, max_records, names);
}

// An optional { timeSize: 4 | 8, littleEndian } at info[index]: a file of
// another machine's struct lastlog (lib/lastlog.ts checks it first).
LastlogFormat FormatArgument(const Napi::CallbackInfo& info, size_t index) {
  LastlogFormat format;
  if (info.Length() <= index || !info[index].IsObject()) return format;
  Napi::Object o = info[index].As<Napi::Object>();
  double time_size = o.Get("timeSize").ToNumber().DoubleValue();
  if (time_size != 4 && time_size != 8) throw Napi::TypeError::New(info.Env(), "timeSize must be 4 or 8");
  format.time_size = static_cast<uint32_t>(time_size);
  format.big_endian = !o.Get("littleEndian").ToBoolean().Value();
  return format;
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

Napi::Value ReadToJs(Napi::Env env, const LastlogRead& res) {
  if (res.error.failed()) throw MakeErrnoError(env, res.error);
  Napi::Object o = Napi::Object::New(env);
  o.Set("uid", res.uid ? Napi::Number::New(env, *res.uid) : env.Null());
  o.Set("record", res.record ? RecordToJs(env, *res.record) : env.Null());
  o.Set("fileSize", Napi::Number::New(env, res.file_size));
  return o;
}

Napi::Value ScanToJs(Napi::Env env, const LastlogScan& res) {
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

LastlogKey KeyArg(const Napi::CallbackInfo& info) {
  Napi::Value v = info[1];
  LastlogKey key;
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
  return ReadToJs(info.Env(), Read(PathArgument(info), KeyArg(info), FormatArgument(info, 2)));
}

Napi::Value ReadLastlogAsync(const Napi::CallbackInfo& info) {
  auto path = PathArgument(info);
  LastlogKey key = KeyArg(info);
  LastlogFormat format = FormatArgument(info, 2);
  return QueuePromise<LastlogRead>(info.Env(), "utmpx:lastlog", [path, key, format] { return Read(path, key, format); },
                                   ReadToJs);
}

Napi::Value ScanLastlogSync(const Napi::CallbackInfo& info) {
  ScanArgs a = ScanArguments(info);
  return ScanToJs(info.Env(), Scan(PathArgument(info), a.offset, a.max_records, a.names, FormatArgument(info, 4)));
}

Napi::Value ScanLastlogAsync(const Napi::CallbackInfo& info) {
  auto path = PathArgument(info);
  ScanArgs a = ScanArguments(info);
  LastlogFormat format = FormatArgument(info, 4);
  return QueuePromise<LastlogScan>(info.Env(), "utmpx:lastlog",
                                   [path, a, format] { return Scan(path, a.offset, a.max_records, a.names, format); },
                                   ScanToJs);
}

Napi::Object LastlogInfo(Napi::Env env) {
  LastlogSource source = PlatformLastlogSource();
  Napi::Object o = Napi::Object::New(env);
  o.Set("recordSize", Napi::Number::New(env, source.record_size));
  o.Set("source", Napi::String::New(env, source.name));
  return o;
}

}  // namespace utmpx_addon
