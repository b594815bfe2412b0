// Whether processes are still running (a session's leader, a utmp entry's
// login process), as who tells it.
#pragma once

#include <napi.h>

namespace utmpx_addon {

// leadersAlive(pids: Int32Array) -> Uint8Array: whether each process is still
// running, as who's kill(pid, 0) tells (pids <= 0 count as alive); nothing is
// held between calls.
Napi::Value LeadersAliveJs(const Napi::CallbackInfo& info);

// lastPid() -> number: the last pid the kernel handed out in this pid
// namespace (/proc/sys/kernel/ns_last_pid), or -1 where that is not known.
Napi::Value LastPidJs(const Napi::CallbackInfo& info);

}  // namespace utmpx_addon
