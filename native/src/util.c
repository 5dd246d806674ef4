/* util.c: error struct, file helpers, time formatting, signal names. */
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int err_set(struct err *e, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  e->code = code;
  return -1;
}

int err_wrap(struct err *e, const char *fmt, ...) {
  char pre[256], old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  size_t pl = strlen(pre);
  if (pl > sizeof e->msg - 3) pl = sizeof e->msg - 3;
  memcpy(e->msg, pre, pl);
  memcpy(e->msg + pl, ": ", 2);
  size_t ol = strnlen(old, sizeof old);
  if (ol > sizeof e->msg - pl - 3) ol = sizeof e->msg - pl - 3;
  memcpy(e->msg + pl + 2, old, ol);
  e->msg[pl + 2 + ol] = 0;
  return -1;
}

const char *err_str(const struct err *e, char *buf, size_t len) {
  if (e->code)
    snprintf(buf, len, "%s: %s", e->msg, strerror(e->code));
  else
    snprintf(buf, len, "%s", e->msg);
  return buf;
}

void cleanup_freep(void *p) { free(*(void **)p); }
void cleanup_closep(int *fd) {
  if (*fd >= 0) close(*fd);
}

int xsnprintf(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= len) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return n;
}

ssize_t write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)n;
  }
  return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, p + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

int write_file_at(int dirfd, const char *path, const char *val, int flags, struct err *e) {
  int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | flags, 0644);
  if (fd < 0) return err_set(e, errno, "open %s", path);
  ssize_t n = write(fd, val, strlen(val));
  int saved = errno;
  close(fd);
  if (n < 0) return err_set(e, saved, "write %s to %s", val, path);
  return 0;
}

int write_file(const char *path, const char *val, struct err *e) { return write_file_at(AT_FDCWD, path, val, 0, e); }

char *read_file_at(int dirfd, const char *path, size_t *lenp) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    if (len + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      int s = errno;
      free(buf);
      buf = NULL;
      errno = s;
      break;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  int s = errno;
  close(fd);
  errno = s;
  if (buf) {
    buf[len] = 0;
    if (lenp) *lenp = len;
  }
  return buf;
}

char *read_file(const char *path, size_t *len) { return read_file_at(AT_FDCWD, path, len); }

int atomic_write(const char *path, const char *data, size_t len, struct err *e) {
  char tmp[4096];
  if (xsnprintf(tmp, sizeof tmp, "%s.tmp.%d", path, getpid()) < 0) return err_set(e, errno, "path %s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return err_set(e, errno, "open %s", tmp);
  if (write_all(fd, data, len) < 0) { /* no fsync: state lives on tmpfs (/run) and does not outlive a reboot */
    int s = errno;
    close(fd);
    unlink(tmp);
    return err_set(e, s, "write %s", tmp);
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int s = errno;
    unlink(tmp);
    return err_set(e, s, "rename %s", path);
  }
  return 0;
}

void iso_now(char *buf, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may contain spaces */
  if (!p) return 0;
  p += 2; /* field 3 (state) */
  if (*p == 'Z' || *p == 'X') return 0; /* a zombie is no longer running */
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

static const struct {
  const char *name;
  int num;
} sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
            {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
            {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
            {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
            {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
            {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
            {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS}};

int parse_signal(const char *s) {
  if (!s || !*s) return -1;
  char *end;
  long n = strtol(s, &end, 10);
  if (*end == 0) return (n > 0 && n < NSIG) ? (int)n : -1;
  if (!strncasecmp(s, "SIG", 3)) s += 3;
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    if (!strcasecmp(s, sigs[i].name)) return sigs[i].num;
  if (!strncasecmp(s, "RTMIN", 5)) {
    long off = s[5] == '+' ? strtol(s + 6, NULL, 10) : 0;
    if (SIGRTMIN + off <= SIGRTMAX) return SIGRTMIN + (int)off;
  }
  return -1;
}

const char *signal_name(int sig) {
  static char buf[32];
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    if (sigs[i].num == sig) {
      snprintf(buf, sizeof buf, "SIG%s", sigs[i].name);
      return buf;
    }
  snprintf(buf, sizeof buf, "SIG%d", sig);
  return buf;
}

int mkdir_p(const char *path, mode_t mode) {
  char tmp[4096];
  if (xsnprintf(tmp, sizeof tmp, "%s", path) < 0) return -1;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

int sys_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int sys_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int sys_close_range(unsigned first, unsigned last, unsigned flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}
