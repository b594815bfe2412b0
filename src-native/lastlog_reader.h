// Reads the last-login database: one record by uid or name (no scan), or the
// logged-in users in batches, walking only the written parts of a sparse file.
#pragma once

#include <napi.h>

namespace utmpx_addon {

// readLastlog(path: string | undefined, key: uid | name)
//   -> { uid: number | null, record: object | null, fileSize }
Napi::Value ReadLastlogSync(const Napi::CallbackInfo& info);
// The same, read on the libuv pool; resolves to the same object.
Napi::Value ReadLastlogAsync(const Napi::CallbackInfo& info);
// scanLastlog(path: string | undefined, offset, maxRecords, names = true)
//   -> { records, next, done, fileSize }: records with a login from byte
//   `offset` on; call again from `next` until `done`.
Napi::Value ScanLastlogSync(const Napi::CallbackInfo& info);
// The same, read on the libuv pool.
Napi::Value ScanLastlogAsync(const Napi::CallbackInfo& info);
// { recordSize, source }: sizeof(struct lastlog) for the file reader
// (0 elsewhere) and which reader this platform uses.
Napi::Object LastlogInfo(Napi::Env env);

}  // namespace utmpx_addon
