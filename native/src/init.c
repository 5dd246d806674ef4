/* init.c: PID 1 = this loop (tini-like). All signals stay blocked and are taken with sigwaitinfo, so PID 1's
 * "no handler = ignored" rule never drops them. The process image is the sealed memfd copy of tsc-runtime
 * (main.c), so /proc/1/exe cannot be written through (CVE-2019-5736). */
#include "init.h"
#include "container.h"
#include "util.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

void init_run(const char *const *argv, const char *const *env, bool terminal) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    dprintf(2, "tsc-runtime: init: fork failed\n");
    _exit(1);
  }
  if (child == 0) {
    setsid();
    if (terminal) ioctl(0, TIOCSCTTY, 0); /* PID 1 never took the pty as its own */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    sys_close_range(3, ~0U, 0);
    exec_workload(argv, env);
  }
  sys_close_range(3, ~0U, 0);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig); /* like tini without -g: the workload only */
      continue;
    }
    for (;;) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == child) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
  }
}
