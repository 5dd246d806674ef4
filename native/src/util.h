/* util.h: error struct, small file/time helpers shared by every part of tsc-runtime. */
#ifndef TSC_UTIL_H
#define TSC_UTIL_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every fallible function returns int (<0 on error) and fills this. */
struct err {
  int code;       /* errno, 0 when none */
  char msg[768];  /* "what" without the strerror part */
};

int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix existing message with context ("mount /proc" -> "create: mount /proc"). */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "what: strerror" into buf */
const char *err_str(const struct err *e, char *buf, size_t len);

/* cleanup attributes */
void cleanup_freep(void *p);
void cleanup_closep(int *fd);
#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))

int write_file_at(int dirfd, const char *path, const char *val, int flags, struct err *e);
int write_file(const char *path, const char *val, struct err *e);
/* read a whole small file (NUL-terminated, caller frees); NULL + errno on error */
char *read_file(const char *path, size_t *len);
char *read_file_at(int dirfd, const char *path, size_t *len);
/* write tmp + fsync + rename */
int atomic_write(const char *path, const char *data, size_t len, struct err *e);

void iso_now(char *buf, size_t len);                  /* 2026-11-24T03:00:00.123456789Z */
unsigned long long proc_start_time(pid_t pid);        /* field 22 of /proc/PID/stat, 0 if gone */
int xsnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);
int parse_signal(const char *s);                      /* name or number, -1 on error */
const char *signal_name(int sig);                     /* "SIGKILL" */
int mkdir_p(const char *path, mode_t mode);

/* syscall wrappers glibc 2.36 lacks or hides */
int sys_pidfd_open(pid_t pid);
int sys_pidfd_send_signal(int pidfd, int sig);
int sys_close_range(unsigned first, unsigned last, unsigned flags);

#endif
