// Module entry: exports the readers, the platform's default paths and, on
// glibc, the layout of struct utmpx.
#include <napi.h>

#include <memory>
#include <mutex>

#include "file_lock.h"
#include "platform.h"
#include "lastlog_reader.h"
#include "logind.h"
#include "processes.h"
#include "small_file.h"
#include "sqlite.h"
#include "utmpx_reader.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("readUtmpx", Napi::Function::New(env, utmpx_addon::ReadUtmpxSync, "readUtmpx"));
  exports.Set("readUtmpxAsync", Napi::Function::New(env, utmpx_addon::ReadUtmpxAsync, "readUtmpxAsync"));

  Napi::Object paths = Napi::Object::New(env);
  paths.Set("utmp", Napi::String::New(env, UTMPX_PATH_UTMP));
  paths.Set("wtmp", Napi::String::New(env, UTMPX_PATH_WTMP));
  paths.Set("btmp", Napi::String::New(env, UTMPX_PATH_BTMP));
  paths.Set("lastlog", Napi::String::New(env, UTMPX_PATH_LASTLOG));
  exports.Set("paths", paths);
  exports.Set("platform", Napi::String::New(env, UTMPX_PLATFORM));
#if defined(UTMPX_LIBC_STUBS)
  exports.Set("libcStubs", Napi::Boolean::New(env, true));
#else
  exports.Set("libcStubs", Napi::Boolean::New(env, false));
#endif
  exports.Set("structLayout", utmpx_addon::StructLayout(env));
  exports.Set("readLock", Napi::Function::New(env, utmpx_addon::ReadLock, "readLock"));
  exports.Set("readLockAsync", Napi::Function::New(env, utmpx_addon::ReadLockAsync, "readLockAsync"));
  exports.Set("unlock", Napi::Function::New(env, utmpx_addon::Unlock, "unlock"));
  exports.Set("lockPolicy", utmpx_addon::LockPolicy(env));
  using KeptFile = std::shared_ptr<utmpx_addon::KeptFile>;
  auto* kept = new KeptFile(std::make_shared<utmpx_addon::KeptFile>());
  env.AddCleanupHook([](KeptFile* k) {
    {
      std::lock_guard<std::mutex> hold((*k)->mutex);
      (*k)->Close();
      (*k)->ended = true;
    }
    delete k;
  }, kept);
  exports.Set("readSmallFile", Napi::Function::New(env, utmpx_addon::ReadSmallFile, "readSmallFile", kept));
  exports.Set("readSmallFileAsync", Napi::Function::New(env, utmpx_addon::ReadSmallFileAsync, "readSmallFileAsync", kept));
  exports.Set("releaseSmallFile", Napi::Function::New(env, utmpx_addon::ReleaseSmallFile, "releaseSmallFile", kept));
  exports.Set("readLastlog", Napi::Function::New(env, utmpx_addon::ReadLastlogSync, "readLastlog"));
  exports.Set("readLastlogAsync", Napi::Function::New(env, utmpx_addon::ReadLastlogAsync, "readLastlogAsync"));
  exports.Set("scanLastlog", Napi::Function::New(env, utmpx_addon::ScanLastlogSync, "scanLastlog"));
  exports.Set("scanLastlogAsync", Napi::Function::New(env, utmpx_addon::ScanLastlogAsync, "scanLastlogAsync"));
  exports.Set("lastlog", utmpx_addon::LastlogInfo(env));
  exports.Set("readLogind", Napi::Function::New(env, utmpx_addon::ReadLogindSync, "readLogind"));
  exports.Set("readLogindAsync", Napi::Function::New(env, utmpx_addon::ReadLogindAsync, "readLogindAsync"));
  exports.Set("logindInfo", Napi::Function::New(env, utmpx_addon::LogindInfo, "logindInfo"));
  exports.Set("leadersAlive", Napi::Function::New(env, utmpx_addon::LeadersAliveJs, "leadersAlive"));
  exports.Set("lastPid", Napi::Function::New(env, utmpx_addon::LastPidJs, "lastPid"));
  exports.Set("sqliteRead", Napi::Function::New(env, utmpx_addon::SqliteReadSync, "sqliteRead"));
  exports.Set("sqliteReadAsync", Napi::Function::New(env, utmpx_addon::SqliteReadAsync, "sqliteReadAsync"));
  exports.Set("sqliteInfo", Napi::Function::New(env, utmpx_addon::SqliteInfo, "sqliteInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(utmpx, Init)
