// Reads SQLite databases (wtmpdb, lastlog2) read-only, through the system's
// own libsqlite3 loaded at run time: the addon does not link it, so it still
// loads where SQLite is absent (a read then fails with code ENOSYS).
#pragma once

#include <napi.h>

namespace utmpx_addon {

// sqliteRead(path, sql, params: (number | string)[], maxRows, busyMs)
//   -> { columns, rows, complete, numbers: Float64Array, texts: Int32Array, strings: string[] }
// One short-lived read-only connection and one statement: at most maxRows
// rows of `sql` (fewer, with complete false, once the batch holds 8 MB), cell
// (r, c) at r * columns + c; only real tables may be read (see sqlite.cc). A
// number cell has its value in `numbers` and -1 in `texts` (an INTEGER beyond
// 2^53, which a double rounds, also its exact decimal digits); a text (or blob)
// cell has NaN in `numbers` and the index of its string in `strings` (each
// distinct short string once); NULL has NaN and -1. Errors carry code, path, syscall and, from SQLite,
// sqliteCode.
Napi::Value SqliteReadSync(const Napi::CallbackInfo& info);
// The same, read on the libuv pool.
Napi::Value SqliteReadAsync(const Napi::CallbackInfo& info);
// { available, version, library, error }: whether libsqlite3 could be loaded.
Napi::Value SqliteInfo(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
