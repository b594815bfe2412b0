#!/usr/bin/env python3
"""Writers and readers for the Debian 13 test root, run inside it (python3 there).

Every record is written by the system's own libraries through ctypes, never
by hand: libwtmpdb (wtmpdb_login, wtmpdb_logout) for wtmp.db, liblastlog2
(ll2_write_entry) for lastlog2.db. sd-login (libsystemd) reads logind's
sessions back. Commands take and print JSON.

  writers.py wtmpdb DB    < [{"op": "login", "type": 3, "user", "usec", "tty", "rhost", "service", "name"},
                             {"op": "logout", "name", "usec"}]       -> {"name": id}
  writers.py lastlog2 DB  < [{"user", "time", "tty", "rhost", "service"}]
  writers.py sessions                                                   -> [{...}] via sd-login
"""
import ctypes
import json
import sys

libc = ctypes.CDLL("libc.so.6")
libc.free.argtypes = [ctypes.c_void_p]


def fail(what, error):
    message = ctypes.cast(error, ctypes.c_char_p).value if error else None
    sys.exit(f"{what} failed: {message.decode() if message else 'no message'}")


def text(value):
    return None if value is None else value.encode()


def wtmpdb(db, ops):
    lib = ctypes.CDLL("libwtmpdb.so.0")
    lib.wtmpdb_login.restype = ctypes.c_int64
    lib.wtmpdb_login.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint64,
                                 ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.wtmpdb_logout.restype = ctypes.c_int
    lib.wtmpdb_logout.argtypes = [ctypes.c_char_p, ctypes.c_int64, ctypes.c_uint64, ctypes.POINTER(ctypes.c_void_p)]
    ids = {}
    for op in ops:
        error = ctypes.c_void_p()
        if op["op"] == "login":
            row = lib.wtmpdb_login(text(db), op.get("type", 3), text(op["user"]), op["usec"], text(op.get("tty")),
                                   text(op.get("rhost")), text(op.get("service")), ctypes.byref(error))
            if row < 0:
                fail("wtmpdb_login", error)
            ids[op.get("name", str(row))] = row
        else:
            if lib.wtmpdb_logout(text(db), ids[op["name"]], op["usec"], ctypes.byref(error)) < 0:
                fail("wtmpdb_logout", error)
    return ids


def lastlog2(db, rows):
    lib = ctypes.CDLL("liblastlog2.so.2")
    lib.ll2_new_context.restype = ctypes.c_void_p
    lib.ll2_new_context.argtypes = [ctypes.c_char_p]
    lib.ll2_unref_context.argtypes = [ctypes.c_void_p]
    lib.ll2_write_entry.restype = ctypes.c_int
    lib.ll2_write_entry.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_char_p,
                                    ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    context = lib.ll2_new_context(text(db))
    if not context:
        sys.exit("ll2_new_context failed")
    try:
        for row in rows:
            error = ctypes.c_void_p()
            if lib.ll2_write_entry(context, text(row["user"]), row["time"], text(row.get("tty")),
                                   text(row.get("rhost")), text(row.get("service")), ctypes.byref(error)) != 0:
                fail("ll2_write_entry", error)
    finally:
        lib.ll2_unref_context(context)
    return len(rows)


def sessions():
    """Every logind session as sd-login reports it (a getter that fails gives null)."""
    lib = ctypes.CDLL("libsystemd.so.0")
    names = ctypes.POINTER(ctypes.c_char_p)()
    count = lib.sd_get_sessions(ctypes.byref(names))
    if count < 0:
        sys.exit(f"sd_get_sessions failed: {count}")

    def string(getter, session):
        value = ctypes.c_void_p()
        if getattr(lib, getter)(session, ctypes.byref(value)) < 0 or not value:
            return None
        result = ctypes.cast(value, ctypes.c_char_p).value.decode()
        libc.free(value)
        return result

    def number(getter, session, ctype):
        value = ctype()
        return value.value if getattr(lib, getter)(session, ctypes.byref(value)) >= 0 else None

    result = []
    for i in range(count):
        session = names[i]
        result.append({
            "id": session.decode(),
            "uid": number("sd_session_get_uid", session, ctypes.c_uint32),
            "user": string("sd_session_get_username", session),
            "tty": string("sd_session_get_tty", session),
            "remoteHost": string("sd_session_get_remote_host", session),
            "remoteUser": string("sd_session_get_remote_user", session),
            "service": string("sd_session_get_service", session),
            "type": string("sd_session_get_type", session),
            "class": string("sd_session_get_class", session),
            "state": string("sd_session_get_state", session),
            "seat": string("sd_session_get_seat", session),
            "leader": number("sd_session_get_leader", session, ctypes.c_int32),
            "startUsec": number("sd_session_get_start_time", session, ctypes.c_uint64),
            "active": lib.sd_session_is_active(session) > 0,
            "remote": lib.sd_session_is_remote(session) > 0,
        })
    return result


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "wtmpdb":
        print(json.dumps(wtmpdb(sys.argv[2], json.load(sys.stdin))))
    elif command == "lastlog2":
        print(json.dumps(lastlog2(sys.argv[2], json.load(sys.stdin))))
    elif command == "sessions":
        print(json.dumps(sorted(sessions(), key=lambda s: s["id"])))
    else:
        sys.exit(f"unknown command {command}")
