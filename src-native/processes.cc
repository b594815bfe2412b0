#include "processes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace utmpx_addon {

namespace {

// kill(pid, 0) as who checks a leader: gone only on ESRCH (EPERM: someone else's, alive).
bool KillSaysAlive(double pid) {
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

// who's test, one kill() per leader, holding nothing between calls. (Pidfds
// kept per leader in an epoll set saved system calls, but held a descriptor
// per session: 300 sessions under a 256-descriptor limit left the process
// none. They guarded against nothing kill() misses: an ended leader whose pid
// was taken again counted as alive there too, as who counts it.)
std::vector<bool> LeadersAlive(const std::vector<double>& pids) {
  std::vector<bool> alive(pids.size(), true);  // no single process (pid <= 0): alive, as who counts it
  for (size_t i = 0; i < pids.size(); i++) {
    if (pids[i] > 0 && pids[i] <= 0x7fffffff) alive[i] = KillSaysAlive(pids[i]);
  }
  return alive;
}

}  // namespace

Napi::Value LeadersAliveJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "leadersAlive(pids: Int32Array)");
  }
  Napi::Int32Array in = info[0].As<Napi::Int32Array>();
  std::vector<double> pids(in.ElementLength());
  for (size_t i = 0; i < pids.size(); i++) pids[i] = in[i];
  std::vector<bool> alive = LeadersAlive(pids);
  Napi::Uint8Array out = Napi::Uint8Array::New(env, alive.size());
  for (size_t i = 0; i < alive.size(); i++) out[i] = alive[i] ? 1 : 0;
  return out;
}

Napi::Value LastPidJs(const Napi::CallbackInfo& info) {
  // The kernel's last handed-out pid in this process's pid namespace (-1:
  // unknown, e.g. no CONFIG_CHECKPOINT_RESTORE or no /proc).
  long last = -1;
  int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char text[24];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n > 0) {
      text[n] = '\0';
      char* end = nullptr;
      long value = strtol(text, &end, 10);
      if (end != text && value >= 0) last = value;
    }
  }
  return Napi::Number::New(info.Env(), static_cast<double>(last));
}

}  // namespace utmpx_addon
