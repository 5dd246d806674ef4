/*
 * tsc-launch: what bin/tscompose runs for `up`, so that the project's spare supervisor and the CLI start
 * their Node at the same moment, a few milliseconds after the command was typed.
 *
 *   tsc-launch SUPERVISOR_MAIN HINT -- CLI_ARGV...
 *
 * Makes two pipes and forks. The child is the spare supervisor: a new session (setsid: no terminal
 * signal reaches it, it outlives the terminal), cwd /, stdin the read end of the "name" pipe, fd 3 the
 * write end of the "ready" pipe, stdout and stderr /dev/null; it execs `node SUPERVISOR_MAIN --spare
 * [HINT]` (no HINT when empty). The parent keeps the other ends as fds 6 (name, to write) and 9 (ready,
 * to read), sets TSCOMPOSE_EARLY_SPARE="6 9 CHILD_PID" and execs CLI_ARGV (PATH searched), the CLI that
 * src/cli/early.ts then hands those ends to. The spare is this process's child, then the CLI's, as when
 * the shell started it.
 *
 * Before, the shell made two FIFOs with mkfifo(1) and started the spare through setsid(1): two more
 * programs, each loading the locale, ~30 ms before the supervisor's Node even started on these hosts.
 * Anything failing here before the CLI's exec only means no early spare: the CLI runs as it would
 * without this program (early.ts starts a spare itself).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pipes' ends go above the fds the two programs are given, so no dup2 overwrites one still needed. */
#define HIGH_FD 20

static int high(int fd) {
  int h = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
  close(fd);
  return h;
}

/* dup2 that leaves `to` inherited by exec (dup2 onto itself would keep close-on-exec). */
static int place(int from, int to) {
  if (from == to) return fcntl(to, F_SETFD, 0);
  return dup2(from, to) < 0 ? -1 : 0;
}

static void spare(const char *main_js, const char *hint, int name_rd, int ready_wr) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (setsid() < 0 || chdir("/") < 0 || null < 0) _exit(127);
  if (place(name_rd, 0) < 0 || place(ready_wr, 3) < 0 || place(null, 1) < 0 || place(null, 2) < 0) _exit(127);
  char *argv[] = {"node", (char *)main_js, "--spare", hint[0] ? (char *)hint : NULL, NULL};
  execvp("node", argv);
  _exit(127); /* the CLI reads EOF on the ready pipe and starts a supervisor itself */
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: tsc-launch SUPERVISOR_MAIN HINT -- CLI_ARGV...\n");
    return 2;
  }
  char **cli = argv + 4;
  int name[2], ready[2];
  if (pipe(name) == 0) {
    if (pipe(ready) == 0) {
      int name_rd = high(name[0]), name_wr = high(name[1]), ready_rd = high(ready[0]), ready_wr = high(ready[1]);
      pid_t pid = (name_rd < 0 || name_wr < 0 || ready_rd < 0 || ready_wr < 0) ? -1 : fork();
      if (pid == 0) spare(argv[1], argv[2], name_rd, ready_wr);
      if (pid > 0 && place(name_wr, 6) == 0 && place(ready_rd, 9) == 0) {
        char v[64];
        snprintf(v, sizeof v, "6 9 %d", (int)pid);
        setenv("TSCOMPOSE_EARLY_SPARE", v, 1);
      } else if (pid > 0) {
        close(6); /* whatever was placed: the spare reads EOF and exits */
        close(9);
      }
      /* the other ends are close-on-exec: only the spare holds them */
    } else {
      close(name[0]);
      close(name[1]);
    }
  }
  execvp(cli[0], cli);
  fprintf(stderr, "tscompose: cannot run %s: %s\n", cli[0], strerror(errno));
  return 127;
}
