/* serve.c: `tsc-runtime serve`, the long-lived process that runs tsc-runtime commands for the supervisor
 * (src/runtime/spawner.ts) in place of a sealed /bin/sh. Each command is a fork of this process that calls
 * main() with the command's argv: no shell job, no exec, no dynamic loader and no libc start-up per create.
 * On this kind of VM an exec of the 1 MiB static binary plus glibc's start (a trapping CPUID per cache
 * query) was ~3 ms of CPU of every container create, and the sh job ~1-2 ms more.
 * CVE-2019-5736: main() re-execs `serve` from a sealed memfd before this loop runs, so every fork shows the
 * sealed copy as /proc/PID/exe, as `sealed-exec` did for the shell's jobs.
 *
 * Protocol (one JSON object per line on stdin; other lines are ignored):
 *   {"id":N,"argv":[...],"in":PATH,"out":PATH,"err":PATH,"self":true|false}
 * self: argv is a tsc-runtime command line (argv[0] is only its name); otherwise argv[0] is exec'd (another
 * binary, e.g. a rebuilt tsc-runtime). stdin/stdout/stderr of the command are those files (in defaults to
 * /dev/null). When the command ends, "N STATUS\n" is written to stdout: the exit code, 128+N for signal N,
 * 127/126 when argv[0] cannot be exec'd — what `sh -c` reports. At EOF on stdin, --workdir DIR (flat: the
 * command files) is removed and serve exits; commands still running go on, as the shell's jobs did. */
#include "serve.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct job {
  pid_t pid;
  long long id;
};

static struct job *jobs;
static size_t njobs, capjobs;

int serve_report_fd = -1;

/* what a job that goes on after its answer (the shim of create / run --detach) sends on serve_report_fd */
struct serve_report {
  int32_t pid, code;
};

int serve_report(int code) {
  struct serve_report r = {getpid(), code};
  int fd = serve_report_fd;
  serve_report_fd = -1;
  /* serve may be gone (its Node died mid-create: EOF, exit): EPIPE then, never a SIGPIPE that would kill the
   * shim of a container just created */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigaction(SIGPIPE, &ign, &old);
  ssize_t n = write(fd, &r, sizeof r); /* < PIPE_BUF: one atomic message */
  sigaction(SIGPIPE, &old, NULL);
  close(fd);
  return n == (ssize_t)sizeof r ? 0 : -1;
}

static void remove_flat_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
  }
  rmdir(dir);
}

static int redirect(const char *path, int target, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int r = dup2(fd, target); /* dup2 clears O_CLOEXEC on target */
  close(fd);
  return r < 0 ? -1 : 0;
}

/* The bytes of serve's own command line after its program path ("serve --workdir DIR"): a job (and the shim
 * it may become) writes its verb and last argument there, so ps shows "tsc-runtime run ID", not serve's
 * line (PR_SET_MM_ARG_* would need CAP_SYS_RESOURCE). */
static char *title_area;
static size_t title_len;

static void set_title(char **argv, size_t n) {
  if (!title_area || title_len < 2) return;
  size_t i = 1;
  while (i < n && (!strcmp(argv[i], "--root") || !strncmp(argv[i], "--root=", 7))) i += argv[i][6] ? 1 : 2;
  if (i >= n) return;
  char t[256];
  snprintf(t, sizeof t, "%s%s%s", argv[i], i + 1 < n ? " " : "", i + 1 < n ? argv[n - 1] : "");
  memset(title_area, 0, title_len);
  memcpy(title_area, t, strnlen(t, title_len - 1));
}

/* In the forked child: stdio from the job's files, then main() (or exec). Never returns. */
__attribute__((noreturn)) static void run_job(json_t *cmd, int sfd, int rp[2], const sigset_t *mask,
                                              tsc_main_fn tsc_main, char **envp) {
  close(sfd);
  close(rp[0]);
  serve_report_fd = rp[1]; /* O_CLOEXEC: an exec'd program never gets it */
  signal(SIGCHLD, SIG_DFL);
  sigprocmask(SIG_SETMASK, mask, NULL);
  const char *in = json_string_value(json_object_get(cmd, "in"));
  const char *out = json_string_value(json_object_get(cmd, "out"));
  const char *err = json_string_value(json_object_get(cmd, "err"));
  /* stderr first: a failure to open the others can still be reported */
  if ((err && redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC) < 0) ||
      redirect(in ? in : "/dev/null", 0, O_RDONLY) < 0 || (out && redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC) < 0)) {
    dprintf(2, "tsc-runtime: serve: redirect: %s\n", strerror(errno));
    _exit(1);
  }
  json_t *av = json_object_get(cmd, "argv");
  size_t n = json_array_size(av);
  char **argv = calloc(n + 1, sizeof *argv);
  for (size_t i = 0; argv && i < n; i++) argv[i] = (char *)json_string_value(json_array_get(av, i));
  if (!argv || n == 0 || !argv[0]) _exit(2);
  if (json_is_true(json_object_get(cmd, "self"))) {
    set_title(argv, n);
    int code = tsc_main((int)n, argv, envp);
    fflush(NULL);
    _exit(code);
  }
  execve(argv[0], argv, envp);
  int saved = errno;
  dprintf(2, "tsc-runtime: serve: exec %s: %s\n", argv[0], strerror(saved));
  _exit(saved == ENOENT ? 127 : 126);
}

static void start_job(const char *line, size_t len, int sfd, int rp[2], const sigset_t *mask, tsc_main_fn tsc_main,
                      char **envp) {
  json_error_t je;
  json_t *cmd = json_loadb(line, len, 0, &je);
  json_t *idv = cmd ? json_object_get(cmd, "id") : NULL;
  if (!json_is_integer(idv) || !json_is_array(json_object_get(cmd, "argv"))) {
    json_decref(cmd);
    return;
  }
  long long id = json_integer_value(idv);
  if (njobs == capjobs) {
    size_t cap = capjobs ? capjobs * 2 : 32;
    struct job *j = realloc(jobs, cap * sizeof *j);
    if (!j) {
      dprintf(1, "%lld 1\n", id);
      json_decref(cmd);
      return;
    }
    jobs = j;
    capjobs = cap;
  }
  pid_t pid = fork();
  if (pid == 0) run_job(cmd, sfd, rp, mask, tsc_main, envp);
  json_decref(cmd);
  if (pid < 0) {
    dprintf(1, "%lld 127\n", id);
    return;
  }
  jobs[njobs++] = (struct job){pid, id};
}

static void answer(pid_t pid, int code) {
  for (size_t i = 0; i < njobs; i++) {
    if (jobs[i].pid != pid) continue;
    dprintf(1, "%lld %d\n", jobs[i].id, code);
    jobs[i] = jobs[--njobs];
    return;
  }
}

static void reap(void) {
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p <= 0) return;
    /* a job that answered already (a shim, exiting with its container) is no longer in the table */
    answer(p, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
}

/* Started by glibc's posix_spawn (src/sys/spawn.ts), serve gets glibc's own signals (32, 33: handled in Node)
 * as ignored, and an ignored signal stays ignored across exec: jobs, shims and containers' PID 1 would all
 * inherit them so. Back to the default, as a fork+exec of Node leaves every signal. glibc's sigaction refuses
 * these two: the system call itself, with an all-zero struct (SIG_DFL, no flags, empty mask, any layout). */
static void reset_libc_signals(void) {
  for (int sig = 32; sig < 34; sig++) {
    unsigned long ksa[8] = {0};
    syscall(SYS_rt_sigaction, sig, ksa, NULL, sizeof(unsigned long));
  }
}

int serve_main(int argc, char **argv, tsc_main_fn tsc_main, char **envp) {
  /* argv's strings are contiguous, as the kernel laid them out */
  title_area = argv[0];
  title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
  static const struct option lo[] = {{"workdir", 1, 0, 'w'}, {0, 0, 0, 0}};
  const char *workdir = NULL;
  int o;
  while ((o = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
    if (o != 'w') {
      dprintf(2, "tsc-runtime: serve: usage: serve [--workdir DIR]\n");
      return 2;
    }
    workdir = optarg;
  }
  reset_libc_signals();
  sigset_t old, chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    dprintf(2, "tsc-runtime: serve: signalfd: %s\n", strerror(errno));
    return 1;
  }
  int rp[2];
  if (pipe2(rp, O_CLOEXEC | O_NONBLOCK) < 0) {
    dprintf(2, "tsc-runtime: serve: pipe: %s\n", strerror(errno));
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) return 1;
  bool eof = false;
  while (!eof) {
    struct pollfd p[3] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}, {.fd = rp[0], .events = POLLIN}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    /* answers first, then exits: a shim that reported and died at once is already out of the table */
    if (p[2].revents) {
      struct serve_report r;
      while (read(rp[0], &r, sizeof r) == (ssize_t)sizeof r) answer(r.pid, r.code);
    }
    if (p[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    if (!p[0].revents) continue;
    if (len == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      n = 0;
    }
    len += (size_t)n;
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
      if (*start == '{') start_job(start, (size_t)(nl - start), sfd, rp, &old, tsc_main, envp);
      start = nl + 1;
    }
    len -= (size_t)(start - buf);
    memmove(buf, start, len);
  }
  if (workdir) remove_flat_dir(workdir);
  return 0;
}
