// Current sessions from systemd-logind (or elogind) through libsystemd's
// public sd-login API, loaded at run time: the addon links nothing new, so it
// still loads where there is no libsystemd (musl without elogind, macOS,
// FreeBSD), and a libsystemd older than 254 only loses the getters it lacks.
#pragma once

#include <napi.h>

namespace utmpx_addon {

// readLogind() -> { library, sessions: [...] }, or null when sd-login cannot
// be loaded. Throws a Node-style error when sd_get_sessions fails.
Napi::Value ReadLogindSync(const Napi::CallbackInfo& info);
// readLogindAsync() -> Promise of the same, read on the libuv pool.
Napi::Value ReadLogindAsync(const Napi::CallbackInfo& info);
// logindInfo() -> { library: string | null, missing: string[] }: which
// library was loaded and which of the getters used it lacks.
Napi::Value LogindInfo(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
