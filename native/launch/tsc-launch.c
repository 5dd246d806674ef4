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
 *
 *   tsc-launch --early HINT -- node -- BIN_JS ARGS...
 *
 * What bin/tscompose runs for `down`: its request goes to the project's supervisor before Node starts
 * (src/cli/early-request.ts says what it is and how the supervisor answers; this is the same, ~50 ms
 * sooner), so that the supervisor works while Node starts and the CLI loads. The project is HINT
 * (-p or COMPOSE_PROJECT_NAME, as bin/ read them) or, when HINT is empty, the directory rule of
 * src/cli/project-hint.ts. The connected socket is left open on fd 7 for the CLI, with
 * TSCOMPOSE_EARLY_REQUEST="7 VERB PROJECT"; "none" when the socket did not answer (no supervisor: the CLI
 * need not try again). Anything this cannot read for certain, or any failure, only means no early request
 * from here (the CLI then sends one itself when it can).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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


/* ------------------------------------------------------------------------------------------ --early */

/* A growing buffer for the request's JSON. */
struct buf {
  char *p;
  size_t n, cap;
  int bad;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->bad) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->n + n + 1 > cap) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->bad = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string; text that is not plain ASCII makes the request not sent (Node would read such bytes as
 * UTF-8, with replacement characters where they are not: the comparison is left to the CLI's own request). */
static void put_str(struct buf *b, const char *s, size_t n) {
  put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c >= 0x80) b->bad = 1;
    else if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      put(b, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      put(b, esc, 6);
    } else
      put(b, (const char *)&c, 1);
  }
  put(b, "\"", 1);
}

/* Global options that take a value (src/cli/verb-of.ts VALUE_OPTIONS). */
static int takes_value(const char *a) {
  static const char *const v[] = {"-f", "--file", "-p", "--project-name", "--project-directory", "--profile", "--env-file", "--progress"};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    if (!strcmp(a, v[i])) return 1;
  return 0;
}

static int verb_index(int n, char **a) {
  for (int i = 0; i < n; i++) {
    if (!strcmp(a[i], "--")) return i + 1 < n ? i + 1 : -1;
    if (a[i][0] != '-') return i;
    if (takes_value(a[i])) i++;
  }
  return -1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* src/cli/project-hint.ts mayName: a top-level key that could name the project, or a shape a line scan
 * cannot read. */
static int may_name(const char *text) {
  int first_seen = 0;
  for (const char *l = text; *l;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    const char *q = l;
    if (*q == '"' || *q == '\'') q++;
    if (!strncmp(q, "name", 4)) {
      q += 4;
      if (*q == '"' || *q == '\'') q++;
      while (is_space(*q) && q < l + len) q++;
      if (*q == ':') return 1;
    }
    if (len > 0 && strchr("{[<?&*!%", l[0])) return 1;
    if (len > 3 && !strncmp(l, "---", 3) && (l[3] == ' ' || l[3] == '\t')) {
      for (size_t i = 4; i < len; i++)
        if (!is_space(l[i])) return 1;
    }
    if (!first_seen) {
      size_t s = 0, t = len;
      while (s < len && is_space(l[s])) s++;
      while (t > s && is_space(l[t - 1])) t--;
      if (t > s && l[s] != '#' && !(t - s == 3 && !strncmp(l + s, "---", 3))) {
        first_seen = 1;
        if (s > 0) return 1;
      }
    }
    l = e ? e + 1 : l + len;
  }
  return 0;
}

/* A regular file's text (at most 1 MiB), or NULL. */
static char *read_small(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  char *t = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 20) && (t = malloc((size_t)st.st_size + 1))) {
    ssize_t r = read(fd, t, (size_t)st.st_size);
    if (r < 0) {
      free(t);
      t = NULL;
    } else
      t[r] = 0;
  }
  close(fd);
  return t;
}

/* src/cli/project-hint.ts directoryProjectName: 1 and the name in `out` when it is certain. */
static int directory_name(int nglob, char **glob, const char *cwd, char *out, size_t outsz) {
  for (int i = 0; i < nglob; i++) {
    const char *eq = strchr(glob[i], '=');
    size_t len = eq ? (size_t)(eq - glob[i]) : strlen(glob[i]);
    if (!((len == 10 && !strncmp(glob[i], "--progress", 10)) || (len == 9 && !strncmp(glob[i], "--profile", 9)))) return 0;
    if (!eq) i++;
  }
  const char *v;
  if (getenv("COMPOSE_PROJECT_NAME") && *getenv("COMPOSE_PROJECT_NAME")) return 0;
  for (int k = 0; k < 2; k++) {
    v = getenv(k ? "COMPOSE_ENV_FILES" : "COMPOSE_FILE");
    if (v)
      for (; *v; v++)
        if (!is_space(*v) && *v != '\n') return 0;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/.env", cwd);
  if (access(path, F_OK) == 0) return 0;
  static const char *const mains[] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
  static const char *const overrides[] = {"compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"};
  for (int set = 0; set < 2; set++) {
    char *text = NULL;
    for (int i = 0; i < 4 && !text; i++) {
      snprintf(path, sizeof path, "%s/%s", cwd, set ? overrides[i] : mains[i]);
      text = read_small(path);
    }
    if (!text && set == 0) return 0;
    int doubt = text && may_name(text);
    free(text);
    if (doubt) return 0;
  }
  const char *base = strrchr(cwd, '/');
  base = base ? base + 1 : cwd;
  size_t j = 0;
  for (const char *c = base; *c && j + 1 < outsz; c++) {
    char ch = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
      if (j == 0 && (ch == '_' || ch == '-')) continue;
      out[j++] = ch;
    }
  }
  out[j] = 0;
  return j > 0;
}

/* src/cli/early-request.ts earlyDownOptions, as JSON; 0 when a word is not one it reads. */
static int down_options(int n, char **w, struct buf *b) {
  int volumes = 0, orphans = 0;
  long timeout = -1;
  for (int i = 0; i < n; i++) {
    const char *secs = NULL;
    if (!strcmp(w[i], "-v") || !strcmp(w[i], "--volumes")) volumes = 1;
    else if (!strcmp(w[i], "--remove-orphans")) orphans = 1;
    else if (!strcmp(w[i], "-t") || !strcmp(w[i], "--timeout")) {
      if (++i >= n) return 0;
      secs = w[i];
    } else if (!strncmp(w[i], "--timeout=", 10))
      secs = w[i] + 10;
    else
      return 0;
    if (secs) {
      size_t len = strlen(secs);
      if (len == 0 || len > 6 || strspn(secs, "0123456789") != len) return 0;
      timeout = atol(secs) * 1000;
    }
  }
  char t[64];
  puts_(b, "{\"volumes\":");
  puts_(b, volumes ? "true" : "false");
  puts_(b, ",\"removeOrphans\":");
  puts_(b, orphans ? "true" : "false");
  if (timeout >= 0) {
    snprintf(t, sizeof t, ",\"timeoutMs\":%ld", timeout);
    puts_(b, t);
  }
  puts_(b, "}");
  return 1;
}

#define EARLY_FD 7

/* Sends the early request for ARGS (the CLI's words); sets TSCOMPOSE_EARLY_REQUEST when it tried. */
static void early_request(const char *hint, int n, char **args) {
  int at = verb_index(n, args);
  if (at < 0) return;
  for (int i = 0; i < at; i++)
    if (!strcmp(args[i], "-h") || !strcmp(args[i], "--help") || !strcmp(args[i], "--")) return;
  const char *verb = args[at];
  char cwd[4096], name[256];
  if (!getcwd(cwd, sizeof cwd)) return;
  struct buf b = {0};
  if (!strcmp(verb, "down")) {
    if (getenv("TSCOMPOSE_NO_EARLY_DOWN")) return;
    puts_(&b, "{\"id\":1,\"method\":\"downEarly\",\"params\":{\"options\":");
    if (!down_options(n - at - 1, args + at + 1, &b)) {
      free(b.p);
      return;
    }
    puts_(&b, ",\"early\":{\"cwd\":");
    put_str(&b, cwd, strlen(cwd));
    puts_(&b, ",\"args\":[");
    for (int i = 0; i < at; i++) {
      if (i) puts_(&b, ",");
      put_str(&b, args[i], strlen(args[i]));
    }
    puts_(&b, "],\"env\":{");
    int first = 1;
    for (char **e = environ; *e; e++) {
      const char *eq = strchr(*e, '=');
      if (!eq || eq == *e) continue;
      if (!first) puts_(&b, ",");
      first = 0;
      put_str(&b, *e, (size_t)(eq - *e));
      puts_(&b, ":");
      put_str(&b, eq + 1, strlen(eq + 1));
    }
    puts_(&b, "}}}}\n");
  } else
    return;
  if (b.bad || !b.p) {
    free(b.p);
    return;
  }
  if (fcntl(EARLY_FD, F_GETFD) >= 0) { /* the caller gave this process an fd 7 of its own: left to the CLI */
    free(b.p);
    return;
  }
  if (hint[0]) snprintf(name, sizeof name, "%s", hint);
  else if (!directory_name(at, args, cwd, name, sizeof name)) {
    free(b.p);
    return;
  }
  const char *run = getenv("TSCOMPOSE_RUN_DIR");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/supervisor/%s.sock", run ? run : "/run/tscompose", name);
  int fd = len > 0 && (size_t)len < sizeof addr.sun_path ? socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  if (fd < 0) {
    free(b.p);
    return;
  }
  char v[320];
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    /* no supervisor listens there: the CLI finds the same and need not ask (a full backlog: it asks) */
    if (errno == ENOENT || errno == ECONNREFUSED) setenv("TSCOMPOSE_EARLY_REQUEST", "none", 1);
    close(fd);
    free(b.p);
    return;
  }
  ssize_t w = write(fd, b.p, b.n);
  free(b.p);
  /* a request cut short cannot be taken back: the connection closes and the supervisor drops the line */
  if (w != (ssize_t)b.n || place(fd, EARLY_FD) < 0) {
    close(fd);
    close(EARLY_FD);
    return;
  }
  if (fd != EARLY_FD) close(fd);
  snprintf(v, sizeof v, "%d %s %s", EARLY_FD, verb, name);
  setenv("TSCOMPOSE_EARLY_REQUEST", v, 1);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--watchdog") == 0) return watchdog(argc, argv);
  if (argc > 6 && strcmp(argv[1], "--early") == 0 && strcmp(argv[3], "--") == 0) {
    /* argv: --early HINT -- node -- BIN_JS ARGS... */
    if (argc > 7) early_request(argv[2], argc - 7, argv + 7);
    execvp(argv[4], argv + 4);
    fprintf(stderr, "tscompose: cannot run %s: %s\n", argv[4], strerror(errno));
    return 127;
  }
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
