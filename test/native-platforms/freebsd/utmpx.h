/*
 * FreeBSD's <utmpx.h> API, as its getutxent(3) man page documents it (FreeBSD
 * 9 and later), declared just far enough for test/native-platforms.test.ts to
 * compile the addon's FreeBSD branches on Linux. Not the real header.
 */
#pragma once
#include <cstddef>
#include <sys/time.h>
#include <sys/types.h>
// Defined here, after the C headers, rather than on the command line: GCC's
// own <stddef.h> would look for FreeBSD's <sys/_types.h>. platform.h includes
// <utmpx.h> before it asks which platform it is on.
#ifndef __FreeBSD__
#  define __FreeBSD__ 14
#endif

struct utmpx {
  short ut_type;
  struct timeval ut_tv;
  char ut_id[8];
  pid_t ut_pid;
  char ut_user[32];
  char ut_line[16];
  char ut_host[128];
  char __ut_spare[64];
};

#define EMPTY 0
#define BOOT_TIME 1
#define OLD_TIME 2
#define NEW_TIME 3
#define USER_PROCESS 4
#define INIT_PROCESS 5
#define LOGIN_PROCESS 6
#define DEAD_PROCESS 7
#define SHUTDOWN_TIME 8

#define UTXDB_ACTIVE 0
#define UTXDB_LASTLOGIN 1
#define UTXDB_LOG 2

extern "C" {
void endutxent(void);
struct utmpx* getutxent(void);
struct utmpx* getutxid(const struct utmpx*);
struct utmpx* getutxline(const struct utmpx*);
struct utmpx* getutxuser(const char*);
struct utmpx* pututxline(const struct utmpx*);
int setutxdb(int, const char*);
void setutxent(void);
}
