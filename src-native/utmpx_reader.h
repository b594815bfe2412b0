// Reads a whole utmpx database through libc (setutxent/getutxent/endutxent).
#pragma once

#include <napi.h>

namespace utmpx_addon {

// readUtmpx(path?: string) -> { records, trailingBytes, platform }
Napi::Value ReadUtmpxSync(const Napi::CallbackInfo& info);
// readUtmpxAsync(path?: string) -> Promise of the same, read on the libuv pool.
Napi::Value ReadUtmpxAsync(const Napi::CallbackInfo& info);
// sizeof/offsetof of the host's struct utmpx, for holding the decoder to it.
Napi::Object StructLayout(Napi::Env env);

}  // namespace utmpx_addon
