#!/usr/bin/env python3
"""Writes login records with this root's own libc (test:arch, run under qemu).

  writers.py utmp < records.json    pututxline() each record into the live utmp
  writers.py wtmp FILE < records.json   updwtmpx(FILE, ...) each record
  writers.py sizeof                 ctypes.sizeof(struct utmpx) as this ABI lays it out

The struct is declared as glibc's <bits/utmpx.h> declares it for every target
but x86-64 (which packs 32-bit time fields): long ut_session and a struct
timeval of two longs. ctypes sizes and aligns those for the architecture it
runs on, so the bytes written are that machine's, not the project's idea of them.
"""
import ctypes
import ctypes.util
import json
import socket
import sys


class ExitStatus(ctypes.Structure):
    _fields_ = [("e_termination", ctypes.c_short), ("e_exit", ctypes.c_short)]


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class Utmpx(ctypes.Structure):
    _fields_ = [
        ("ut_type", ctypes.c_short),
        ("ut_pid", ctypes.c_int),
        ("ut_line", ctypes.c_char * 32),
        ("ut_id", ctypes.c_char * 4),
        ("ut_user", ctypes.c_char * 32),
        ("ut_host", ctypes.c_char * 256),
        ("ut_exit", ExitStatus),
        ("ut_session", ctypes.c_long),
        ("ut_tv", Timeval),
        ("ut_addr_v6", ctypes.c_char * 16),
        ("reserved", ctypes.c_char * 20),
    ]


def record(r):
    u = Utmpx()
    u.ut_type = r["type"]
    u.ut_pid = r["pid"]
    u.ut_line = r["line"].encode()
    u.ut_id = r["id"].encode()
    u.ut_user = r["user"].encode()
    u.ut_host = r["host"].encode()
    u.ut_exit.e_termination = r.get("termination", 0)
    u.ut_exit.e_exit = r.get("exit", 0)
    u.ut_session = r.get("session", 0)
    u.ut_tv.tv_sec = r["sec"]
    u.ut_tv.tv_usec = r["usec"]
    addr = r.get("addr", "")
    if addr:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        u.ut_addr_v6 = socket.inet_pton(family, addr).ljust(16, b"\0")
    return u


def main():
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.pututxline.restype = ctypes.c_void_p
    what = sys.argv[1]
    if what == "sizeof":
        print(ctypes.sizeof(Utmpx))
        return
    records = json.load(sys.stdin)
    if what == "utmp":
        libc.setutxent()
        for r in records:
            if not libc.pututxline(ctypes.byref(record(r))):
                raise OSError(ctypes.get_errno(), "pututxline")
        libc.endutxent()
    elif what == "wtmp":
        for r in records:
            libc.updwtmpx(sys.argv[2].encode(), ctypes.byref(record(r)))
    else:
        raise SystemExit("usage: writers.py utmp|wtmp FILE|sizeof")


main()
