/* shim.c: poll loop over a signalfd and the container's stdout/stderr pipes. Small fixed buffers only, so a
 * shim stays well under 1 MiB RSS. Log lines: "<RFC3339Nano> stdout|stderr F|P <text>". */
#include "shim.h"
#include "pty.h"
#include "state.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384

struct stream {
  const char *name;
  bool crlf; /* a pty's output: lines end in \r\n, logged without the \r */
  int fd;
  size_t len;
  char buf[LINE_MAX_BYTES];
};

static char *put_num(char *p, unsigned long v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

/* RFC 3339 with nanoseconds, without stdio or gmtime: the shim's hot path stays in a few pages. */
static size_t cri_head(char *buf, const char *name, bool partial) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
  /* civil_from_days (H. Hinnant) */
  long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  long y = yoe + era * 400 + (m <= 2);
  char *p = buf;
  p = put_num(p, (unsigned long)y, 4);
  *p++ = '-';
  p = put_num(p, (unsigned long)m, 2);
  *p++ = '-';
  p = put_num(p, (unsigned long)d, 2);
  *p++ = 'T';
  p = put_num(p, (unsigned long)(secs / 3600), 2);
  *p++ = ':';
  p = put_num(p, (unsigned long)(secs / 60 % 60), 2);
  *p++ = ':';
  p = put_num(p, (unsigned long)(secs % 60), 2);
  *p++ = '.';
  p = put_num(p, (unsigned long)ts.tv_nsec, 9);
  *p++ = 'Z';
  *p++ = ' ';
  size_t nl = strlen(name);
  memcpy(p, name, nl);
  p += nl;
  *p++ = ' ';
  *p++ = partial ? 'P' : 'F';
  *p++ = ' ';
  return (size_t)(p - buf);
}

static void emit(int logfd, const char *name, const char *text, size_t len, bool partial) {
  char head[64];
  size_t hl = cri_head(head, name, partial);
  struct iovec iov[3] = {{head, hl}, {(void *)text, len}, {"\n", 1}};
  ssize_t n;
  do n = writev(logfd, iov, 3);
  while (n < 0 && errno == EINTR);
}

/* returns false at EOF */
static bool pump(struct stream *s, int logfd) {
  ssize_t n;
  do n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (s->len) emit(logfd, s->name, s->buf, s->len, false);
    s->len = 0;
    return false;
  }
  s->len += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->buf[i] == '\n') {
      size_t end = s->crlf && i > start && s->buf[i - 1] == '\r' ? i - 1 : i;
      emit(logfd, s->name, s->buf + start, end - start, false);
      start = i + 1;
    }
  if (start == 0 && s->len == sizeof s->buf) { /* a line longer than the buffer */
    emit(logfd, s->name, s->buf, s->len, true);
    s->len = 0;
  } else if (start) {
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
  }
  return true;
}

static struct stream out_s = {.name = "stdout"}, err_s = {.name = "stderr"}, tty_s = {.name = "stdout", .crlf = true};

int shim_monitor(struct launch *L, bool forward) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  static const int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  if (forward)
    for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++) sigaddset(&set, fwd[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  out_s.fd = L->out_r;
  err_s.fd = L->err_r;
  /* a pty: logged (detached), or relayed to and from the caller's terminal (foreground run -t) */
  bool relay = forward && L->pty >= 0;
  tty_s.fd = L->pty >= 0 && !relay ? L->pty : -1; /* without a log: read and dropped, never left to fill up */
  int master = relay ? L->pty : -1, in = relay ? 0 : -1;
  if (relay) term_raw(0);
  int status = 0;
  bool exited = false;
  for (;;) {
    if (!exited) {
      int st;
      if (waitpid(L->pid, &st, WNOHANG) == L->pid) {
        exited = true;
        status = st;
      }
    }
    /* a dead PID 1 may have left its output in the pipes: keep reading until both hit EOF */
    if (exited && out_s.fd < 0 && err_s.fd < 0 && tty_s.fd < 0 && master < 0) break;
    struct pollfd p[6] = {{sfd, POLLIN, 0},  {out_s.fd, POLLIN, 0}, {err_s.fd, POLLIN, 0},
                          {tty_s.fd, POLLIN, 0}, {master, POLLIN, 0},  {in, POLLIN, 0}};
    int r = poll(p, 6, exited ? 200 : -1);
    if (r < 0 && errno != EINTR) break;
    if (r == 0 && exited) break; /* a process outside our pid namespace kept the pipe open */
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD && !exited) {
        if (si.ssi_signo == SIGWINCH && master >= 0) pty_copy_winsize(0, master); /* the kernel tells the pty's group */
        else kill(L->pid, (int)si.ssi_signo);
      }
    }
    if (master >= 0 && (p[4].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_out(master, 1)) {
      close(master);
      master = -1;
    }
    if (in >= 0 && (p[5].revents & (POLLIN | POLLHUP | POLLERR)) && master >= 0 && !relay_in(in, master)) in = -1;
    if (master < 0) in = -1;
    for (int i = 1; i < 4; i++) {
      struct stream *s = i == 1 ? &out_s : i == 2 ? &err_s : &tty_s;
      if (s->fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(s, L->logfd)) {
        close(s->fd);
        s->fd = -1;
      }
    }
  }
  if (relay) term_restore(0);
  if (master >= 0) close(master);
  /* reap anything else that ended up as our child */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  bool oom = false;
  if (L->has_cg && L->oom_base >= 0) oom = L->cg.ops->oom_kills(&L->cg) > L->oom_base;
  struct err e = {0};
  write_exit_json(L->state_dir, code, sig, oom, &e);
  return code;
}

void shim_drain_logs(struct launch *L) {
  struct stream *ss[2] = {&out_s, &err_s};
  int fds[2] = {L->out_r, L->err_r};
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0 || L->logfd < 0) continue;
    ss[i]->fd = fds[i];
    /* the child is reaped: take what is buffered, never wait for a writer that may still exist elsewhere */
    fcntl(fds[i], F_SETFL, O_NONBLOCK);
    while (pump(ss[i], L->logfd)) {
    }
    close(fds[i]);
  }
  L->out_r = L->err_r = -1;
}

static void trim_range(unsigned long lo, unsigned long hi) {
  if (hi <= lo) return;
  madvise((void *)lo, hi - lo, MADV_RANDOM);
  madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void shim_trim_memory(void) {
  malloc_trim(0);
  /* Drop the page-table entries of our read-only file mappings (text, rodata) and turn off fault-around
   * for them: the shim's loop then maps back only the few pages it runs, not the whole binary. */
  FILE *f = fopen("/proc/self/maps", "re");
  if (!f) return;
  char line[512];
  /* adjacent mappings (rodata, text, rodata) go in one call each: every MADV_DONTNEED ends in a TLB flush,
   * a hypercall on a paravirtualised guest */
  unsigned long run_lo = 0, run_hi = 0;
  while (fgets(line, sizeof line, f)) {
    char *end;
    unsigned long lo = strtoul(line, &end, 16);
    if (*end != '-') continue;
    unsigned long hi = strtoul(end + 1, &end, 16);
    if (*end != ' ' || end[2] == 'w' || !strstr(line, "tsc-runtime")) continue;
    if (lo != run_hi) {
      trim_range(run_lo, run_hi);
      run_lo = lo;
    }
    run_hi = hi;
  }
  trim_range(run_lo, run_hi);
  fclose(f);
}
