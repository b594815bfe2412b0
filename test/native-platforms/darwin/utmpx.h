/*
 * macOS's <utmpx.h> API, as its getutxent(3) and getlastlogx(3) man pages
 * document it, declared just far enough for test/native-platforms.test.ts to
 * compile the addon's macOS branches on Linux. Not the real header.
 */
#pragma once
#include <sys/time.h>
#include <sys/types.h>

struct utmpx {
  char ut_user[256];
  char ut_id[4];
  char ut_line[32];
  pid_t ut_pid;
  short ut_type;
  struct timeval ut_tv;
  char ut_host[256];
  unsigned int ut_pad[16];
};

struct lastlogx {
  struct timeval ll_tv;
  char ll_line[32];
  char ll_host[256];
};

#define EMPTY 0
#define RUN_LVL 1
#define BOOT_TIME 2
#define OLD_TIME 3
#define NEW_TIME 4
#define INIT_PROCESS 5
#define LOGIN_PROCESS 6
#define USER_PROCESS 7
#define DEAD_PROCESS 8
#define SHUTDOWN_TIME 11

extern "C" {
void endutxent(void);
struct utmpx* getutxent(void);
struct utmpx* getutxid(const struct utmpx*);
struct utmpx* getutxline(const struct utmpx*);
struct utmpx* pututxline(const struct utmpx*);
void setutxent(void);
int utmpxname(const char*);
struct lastlogx* getlastlogx(uid_t, struct lastlogx*);
struct lastlogx* getlastlogxbyname(const char*, struct lastlogx*);
}
