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
 *
 *   tsc-launch --watchdog LOG_FILE STATE_FILE -- SUPERVISOR_ARGV...
 *
 * A supervisor's watchdog (src/supervisor/watchdog.ts starts it, its stdin a socket from the supervisor).
 * The supervisor writes "x" before it exits on purpose (down, SIGTERM, idle): the watchdog exits. Its
 * stdin ending without that (the supervisor was SIGKILLed, OOM-killed, crashed) means the project has
 * nobody to keep it as declared: after a delay (2 s, doubling with each restart that follows another
 * within a minute, at most 60 s; TSCOMPOSE_WATCHDOG_RESTARTS counts them across generations), if the
 * project still has a state file (no `down` finished meanwhile), it becomes the new supervisor: a new
 * session in /, stdin and fd 3 /dev/null, stdout and stderr appended to LOG_FILE, exec SUPERVISOR_ARGV.
 * That supervisor takes the project's lock (or defers to one a CLI started meanwhile, and exits), adopts
 * the running containers and catches up on the exits it missed; it starts its own watchdog. A successor
 * started otherwise ends this one (SIGTERM) when it takes over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
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

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One line in the supervisor log's format: "2026-01-02T03:04:05.678Z message". */
static void log_line(int fd, const char *msg) {
  struct timeval tv;
  struct tm tm;
  char ts[32], line[512];
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  int n = snprintf(line, sizeof line, "%s.%03dZ %s\n", ts, (int)(tv.tv_usec / 1000), msg);
  if (n > 0 && write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) { /* nothing to do */ }
}

static int watchdog(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr, "usage: tsc-launch --watchdog LOG_FILE STATE_FILE -- SUPERVISOR_ARGV...\n");
    return 2;
  }
  const char *log = argv[2], *state = argv[3];
  double started = now_s();
  pid_t supervisor = getppid();
  for (;;) {
    char c;
    ssize_t n = read(0, &c, 1);
    if (n == 1 && c == 'x') return 0; /* an exit on purpose */
    if (n == 1 || (n < 0 && errno == EINTR)) continue;
    break; /* EOF (or an error): the supervisor is gone without a word */
  }
  const char *env = getenv("TSCOMPOSE_WATCHDOG_RESTARTS");
  long restarts = env ? strtol(env, NULL, 10) : 0;
  if (restarts < 0 || now_s() - started >= 60) restarts = 0; /* it had run a while: not a crash loop */
  unsigned delay = 2u << (restarts < 5 ? restarts : 5);
  if (delay > 60) delay = 60;
  struct timespec d = {.tv_sec = delay, .tv_nsec = 0};
  while (nanosleep(&d, &d) < 0 && errno == EINTR) {
  }
  if (access(state, F_OK) != 0) return 0; /* the project went (a down finished): nothing to keep */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (null < 0 || out < 0) return 1;
  char msg[256];
  snprintf(msg, sizeof msg, "watchdog: the supervisor (pid %d) ended without a word; starting another after %u s (restart %ld)", (int)supervisor, delay, restarts + 1);
  log_line(out, msg);
  setsid(); /* fails (EPERM) only if this process leads a group already: then it is one */
  if (chdir("/") < 0 || place(null, 0) < 0 || place(out, 1) < 0 || place(out, 2) < 0 || place(null, 3) < 0) return 1;
  char v[32];
  snprintf(v, sizeof v, "%ld", restarts + 1);
  setenv("TSCOMPOSE_WATCHDOG_RESTARTS", v, 1);
  execv(argv[5], argv + 5);
  snprintf(msg, sizeof msg, "watchdog: cannot run %s: %s", argv[5], strerror(errno));
  log_line(2, msg);
  return 127;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--watchdog") == 0) return watchdog(argc, argv);
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
