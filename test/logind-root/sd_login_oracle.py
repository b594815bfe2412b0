"""The sessions sd-login reports, as JSON: libsystemd through ctypes, the
independent reader the logind tests compare with. A getter this libsystemd
lacks (username, leader, start time before 254) is left out of the answer."""
import ctypes
import json
import sys

lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "libsystemd.so.0")
libc = ctypes.CDLL(None)
libc.free.argtypes = [ctypes.c_void_p]


def string(getter, sid):
    if not hasattr(lib, getter):
        return "absent"
    out = ctypes.c_void_p()
    if getattr(lib, getter)(sid, ctypes.byref(out)) < 0 or not out.value:
        return None
    value = ctypes.string_at(out.value).decode("utf-8", "replace")
    libc.free(out)
    return value


def number(getter, sid, ctype):
    if not hasattr(lib, getter):
        return "absent"
    out = ctype()
    return out.value if getattr(lib, getter)(sid, ctypes.byref(out)) >= 0 else None


def flag(getter, sid):
    r = getattr(lib, getter)(sid)
    return None if r < 0 else r > 0


ids = ctypes.POINTER(ctypes.c_char_p)()
n = lib.sd_get_sessions(ctypes.byref(ids))
sessions = []
for i in range(max(n, 0)):
    sid = ids[i]
    s = {"id": sid.decode()}
    for key, getter in [("user", "username"), ("seat", "seat"), ("tty", "tty"), ("display", "display"),
                        ("remoteHost", "remote_host"), ("remoteUser", "remote_user"), ("service", "service"),
                        ("type", "type"), ("class", "class"), ("state", "state"), ("desktop", "desktop")]:
        s[key] = string("sd_session_get_" + getter, sid)
    s["uid"] = number("sd_session_get_uid", sid, ctypes.c_uint32)
    s["vt"] = number("sd_session_get_vt", sid, ctypes.c_uint)
    s["leader"] = number("sd_session_get_leader", sid, ctypes.c_int32)
    s["startTimeUsec"] = number("sd_session_get_start_time", sid, ctypes.c_uint64)
    s["active"] = flag("sd_session_is_active", sid)
    s["remote"] = flag("sd_session_is_remote", sid)
    sessions.append({k: v for k, v in s.items() if v != "absent"})
print(json.dumps({"count": n, "sessions": sessions}))
