/* main.c: the runc-style verbs of native/README.md. Exit codes: 0 ok, 1 failure ("tsc-runtime: <verb>: <what>:
 * <strerror>" on stderr), 2 usage; foreground run/exec exit with the container process's status. */
#include "cgroups.h"
#include "config.h"
#include "container.h"
#include "exec.h"
#include "seccomp.h"
#include "selfexe.h"
#include "serve.h"
#include "shim.h"
#include "state.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *g_root = "/run/tscompose/runtime";
static const char *g_verb = "tsc-runtime";

static int fail(const struct err *e) {
  char buf[1200];
  fprintf(stderr, "tsc-runtime: %s: %s\n", g_verb, err_str(e, buf, sizeof buf));
  return 1;
}

static int usage(const char *msg) {
  fprintf(stderr, "tsc-runtime: %s: %s\n", g_verb, msg);
  fprintf(stderr, "usage: tsc-runtime [--root DIR] create|start|run|state|kill|delete|exec|list|sealed-exec|serve ... (see native/README.md)\n");
  return 2;
}

static bool valid_id(const char *id) {
  if (!id || !*id || strlen(id) > 128 || id[0] == '.' || id[0] == '-') return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_' || *p == '.'))
      return false;
  return true;
}

static int need_root(struct err *e) {
  if (geteuid() != 0) return err_set(e, EPERM, "must be run as root");
  return 0;
}

static int write_state(struct launch *L, struct err *e) {
  char now[64];
  iso_now(now, sizeof now);
  struct config *c = L->cfg;
  json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:I,s:s}", "ociVersion", "1.0.2", "id", L->id, "status",
                        L->wait_start ? "created" : "running", "pid", (json_int_t)L->pid, "bundle", c->bundle,
                        "shimPid", (json_int_t)getpid(), "shimStartTime", (json_int_t)proc_start_time(getpid()),
                        "pidStartTime", (json_int_t)L->pid_start, "createdAt", now);
  json_object_set_new(j, "annotations", c->annotations ? json_incref(c->annotations) : json_object());
  if (!L->wait_start) json_object_set_new(j, "startedAt", json_string(now));
  if (L->log_path) json_object_set_new(j, "logPath", json_string(L->log_path));
  if (L->has_cg) {
    json_object_set_new(j, "cgroupsPath", json_string(L->cg.path));
    json_object_set_new(j, "cgroupVersion", json_integer(L->cg.version));
    json_object_set_new(j, "cgroupRoot", json_string(L->cg.root));
    json_object_set_new(j, "cgroupFake", json_boolean(L->cg.fake));
  }
  json_object_set_new(j, "init", json_boolean(c->init));
  int r = state_save(L->state_dir, j, e);
  json_decref(j);
  return r;
}

struct report {
  int32_t ok, code, pid;
  char msg[768];
};

/* create / run --detach. One fork, made before the config is parsed: the child (setsid) loads the config,
 * launches the container and stays as its shim; this process only waits for the child's report and exits,
 * which reparents the shim as a second fork would. Forking while our heap is still nearly empty matters here:
 * every page the shim wrote (parse, launch, free) while we still shared it was a copy-on-write fault, and a
 * fork and an exit fewer save two page-table copies/teardowns (about a third of a create's CPU on this VM). */
/* A job of `tsc-runtime serve`: this process becomes the shim itself (no fork, no exit of a caller: ~2 ms of
 * CPU of a create here) and answers serve once the container is created; errors go to our stderr (the job's
 * file) as from the caller. */
static int shim_in_place(struct launch *L, const char *bundle, const char *pid_file, struct err *e) {
  setsid();
  if (chdir("/") < 0) return err_set(e, errno, "chdir /");
  struct config cfg;
  L->cfg = &cfg;
  int ok = config_load(&cfg, bundle, e);
  if (ok == 0 && L->console_socket && !cfg.terminal) ok = err_set(e, EINVAL, "--console-socket needs process.terminal");
  if (ok < 0 || container_launch(L, e) < 0 || write_state(L, e) < 0) {
    if (L->pid > 0) kill(L->pid, SIGKILL);
    if (ok == 0) shim_drain_logs(L);
    state_remove_dir(L->state_dir);
    return -1;
  }
  if (pid_file) {
    char b[32];
    int len = snprintf(b, sizeof b, "%d", L->pid);
    if (atomic_write(pid_file, b, (size_t)len, e) < 0) {
      kill(L->pid, SIGKILL);
      shim_drain_logs(L);
      state_remove_dir(L->state_dir);
      return -1;
    }
  }
  /* the shim keeps none of the job's files */
  fflush(NULL);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
  for (int i = 0; i < 3; i++) dup2(null, i);
  if (null > 2) close(null);
  serve_report(0);
  config_free(&cfg);
  shim_trim_memory();
  shim_monitor(L, false);
  _exit(0);
}

static int spawn_shim(struct launch *L, const char *bundle, const char *pid_file, struct err *e) {
  if (serve_report_fd >= 0) return shim_in_place(L, bundle, pid_file, e);
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) return err_set(e, errno, "pipe");
  pid_t p1 = fork();
  if (p1 < 0) {
    close(rep[0]);
    close(rep[1]);
    return err_set(e, errno, "fork");
  }
  if (p1 == 0) {
    close(rep[0]);
    setsid();
    if (chdir("/") < 0) _exit(1);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
    for (int i = 0; i < 3; i++) dup2(null, i);
    if (null > 2) close(null);
    struct err ce = {0};
    struct report r = {0};
    struct config cfg;
    L->cfg = &cfg;
    int ok = config_load(&cfg, bundle, &ce);
    if (ok == 0 && L->console_socket && !cfg.terminal) ok = err_set(&ce, EINVAL, "--console-socket needs process.terminal");
    if (ok < 0 || container_launch(L, &ce) < 0 || write_state(L, &ce) < 0) {
      if (L->pid > 0) kill(L->pid, SIGKILL);
      if (ok == 0) shim_drain_logs(L);
      state_remove_dir(L->state_dir);
      r.code = ce.code;
      snprintf(r.msg, sizeof r.msg, "%s", ce.msg);
      if (write(rep[1], &r, sizeof r) < 0) _exit(1);
      _exit(1);
    }
    r.ok = 1;
    r.pid = L->pid;
    if (write(rep[1], &r, sizeof r) < 0) _exit(1);
    close(rep[1]);
    config_free(&cfg);
    shim_trim_memory();
    shim_monitor(L, false);
    _exit(0);
  }
  close(rep[1]);
  struct report r;
  ssize_t n = read_all(rep[0], &r, sizeof r);
  close(rep[0]);
  if (n != (ssize_t)sizeof r) {
    /* the child died before reporting (killed): nothing else removes its state dir */
    state_remove_dir(L->state_dir);
    return err_set(e, 0, "the shim exited before the container was created");
  }
  if (!r.ok) {
    e->code = r.code;
    snprintf(e->msg, sizeof e->msg, "%s", r.msg);
    return -1;
  }
  if (pid_file) {
    char b[32];
    int len = snprintf(b, sizeof b, "%d", r.pid);
    if (atomic_write(pid_file, b, (size_t)len, e) < 0) return -1;
  }
  return 0;
}

static int cmd_create_run(int argc, char **argv, bool run) {
  static const struct option lo[] = {{"bundle", 1, 0, 'b'},   {"log-path", 1, 0, 'l'}, {"pid-file", 1, 0, 'p'},
                                     {"detach", 0, 0, 'd'},   {"rm", 0, 0, 'r'},     {"keep", 0, 0, 'k'},     {"console-socket", 1, 0, 'c'},
                                     {0, 0, 0, 0}};
  const char *bundle = ".", *log_path = NULL, *pid_file = NULL, *console = NULL;
  bool detach = false, rm = false;
  int o;
  while ((o = getopt_long(argc, argv, "+b:dkr", lo, NULL)) != -1) {
    switch (o) {
      case 'b': bundle = optarg; break;
      case 'l': log_path = optarg; break;
      case 'p': pid_file = optarg; break;
      case 'd': detach = true; break;
      case 'k': rm = false; break;
      case 'r': rm = true; break;
      case 'c': console = optarg; break;
      default: return usage("bad option");
    }
  }
  if (optind + 1 != argc) return usage("expected one container ID");
  if (!run && (detach || rm)) return usage("--detach and --rm are for run");
  if (detach && rm) return usage("--rm is for a foreground run");
  const char *id = argv[optind];
  struct err e = {0};
  if (!valid_id(id)) return err_set(&e, EINVAL, "invalid container id %s", id), fail(&e);
  if (need_root(&e) < 0) return fail(&e);
  char bundle_abs[4096];
  if (!realpath(bundle, bundle_abs)) return err_set(&e, errno, "bundle %s", bundle), fail(&e);
  char log_abs[4096];
  if (log_path && log_path[0] != '/') {
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) return err_set(&e, errno, "getcwd"), fail(&e);
    snprintf(log_abs, sizeof log_abs, "%s/%s", cwd, log_path);
    log_path = log_abs;
  }
  char console_abs[4096];
  if (console && console[0] != '/') {
    if (!realpath(console, console_abs)) return err_set(&e, errno, "console socket %s", console), fail(&e);
    console = console_abs;
  }
  bool detached = !run || detach;
  /* detached: the shim loads the config (spawn_shim); a bad one fails before anything is started there too */
  struct config cfg = {0};
  if (!detached) {
    if (config_load(&cfg, bundle_abs, &e) < 0) {
      config_free(&cfg);
      return fail(&e);
    }
    if (console && !cfg.terminal) {
      config_free(&cfg);
      return err_set(&e, EINVAL, "--console-socket needs process.terminal"), fail(&e);
    }
  }
  struct launch L = {.cfg = &cfg, .id = id, .log_path = log_path, .console_socket = console, .wait_start = !run,
                     .detached = detached};
  if (mkdir_p(g_root, 0700) < 0) return err_set(&e, errno, "mkdir %s", g_root), fail(&e);
  if (state_dir_path(L.state_dir, sizeof L.state_dir, g_root, id) < 0) return err_set(&e, errno, "state dir"), fail(&e);
  if (mkdir(L.state_dir, 0700) < 0) {
    if (errno == EEXIST) return err_set(&e, EEXIST, "container %s already exists", id), fail(&e);
    return err_set(&e, errno, "mkdir %s", L.state_dir), fail(&e);
  }
  if (!run) {
    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/start", L.state_dir);
    if (mkfifo(fifo, 0600) < 0) {
      err_set(&e, errno, "mkfifo %s", fifo);
      state_remove_dir(L.state_dir);
      return fail(&e);
    }
  }
  if (L.detached) return spawn_shim(&L, bundle_abs, pid_file, &e) < 0 ? fail(&e) : 0;
  /* foreground run: this process is the shim; the container gets our stdio */
  if (container_launch(&L, &e) < 0 || write_state(&L, &e) < 0) {
    if (L.pid > 0) kill(L.pid, SIGKILL);
    shim_drain_logs(&L);
    state_remove_dir(L.state_dir);
    config_free(&cfg);
    int r = fail(&e);
    return L.noexec_status ? L.noexec_status : r;
  }
  if (pid_file) {
    char b[32];
    int len = snprintf(b, sizeof b, "%d", L.pid);
    atomic_write(pid_file, b, (size_t)len, &e);
  }
  int code = shim_monitor(&L, true);
  if (rm) {
    if (L.has_cg)
      for (int i = 0; i < 200 && L.cg.ops->destroy(&L.cg, &e) < 0; i++) usleep(5000);
    state_remove_dir(L.state_dir);
  }
  config_free(&cfg);
  return code;
}

static int cmd_start(int argc, char **argv) {
  if (argc != 2) return usage("expected one container ID");
  struct err e = {0};
  struct cstate s;
  if (!valid_id(argv[1])) return err_set(&e, EINVAL, "invalid container id %s", argv[1]), fail(&e);
  if (state_load(&s, g_root, argv[1], &e) < 0) return fail(&e);
  if (strcmp(s.status, "created")) {
    err_set(&e, 0, "container %s is %s, not created", argv[1], s.status);
    state_free(&s);
    return fail(&e);
  }
  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/start", s.dir);
  int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    err_set(&e, errno == ENXIO ? 0 : errno, errno == ENXIO ? "container %s is not waiting for start" : "open %s", errno == ENXIO ? argv[1] : fifo);
    state_free(&s);
    return fail(&e);
  }
  unlink(fifo);
  char now[64];
  iso_now(now, sizeof now);
  json_object_set_new(s.json, "startedAt", json_string(now));
  json_object_set_new(s.json, "status", json_string("running"));
  /* startedAt first: PID 1 may exit as soon as it is released */
  int r = state_save(s.dir, s.json, &e);
  if (write(fd, "s", 1) != 1 && r == 0) r = err_set(&e, errno, "release container %s", argv[1]);
  close(fd);
  state_free(&s);
  return r < 0 ? fail(&e) : 0;
}

static int cmd_state(int argc, char **argv) {
  if (argc != 2) return usage("expected one container ID");
  struct err e = {0};
  struct cstate s;
  if (!valid_id(argv[1])) return err_set(&e, EINVAL, "invalid container id %s", argv[1]), fail(&e);
  if (state_load(&s, g_root, argv[1], &e) < 0) return fail(&e);
  json_t *o = state_render(&s);
  char *txt = json_dumps(o, JSON_COMPACT);
  printf("%s\n", txt);
  free(txt);
  json_decref(o);
  state_free(&s);
  return 0;
}

static bool state_cgroup(const struct cstate *s, struct cgroup *cg) {
  const char *p = json_string_value(json_object_get(s->json, "cgroupsPath"));
  if (!p) return false;
  struct err e;
  return cgroup_init(cg, p, (int)json_integer_value(json_object_get(s->json, "cgroupVersion")),
                     json_string_value(json_object_get(s->json, "cgroupRoot")),
                     json_is_true(json_object_get(s->json, "cgroupFake")), &e) == 0;
}

static int signal_container(const struct cstate *s, int sig, bool all, struct err *e) {
  int pfd = sys_pidfd_open(s->pid);
  if (pfd < 0 || proc_start_time(s->pid) != s->pid_start) {
    if (pfd >= 0) close(pfd);
    return err_set(e, ESRCH, "container %s is not running", s->id);
  }
  if (sys_pidfd_send_signal(pfd, sig) < 0 && errno != ESRCH) {
    int saved = errno;
    close(pfd);
    return err_set(e, saved, "kill %s", s->id);
  }
  close(pfd);
  struct cgroup cg;
  if (all && state_cgroup(s, &cg) && !cg.fake) {
    char p[2200];
    cg.ops->procs_path(&cg, p, sizeof p);
    _cleanup_free_ char *procs = read_file(p, NULL);
    for (char *t = procs ? strtok(procs, "\n") : NULL; t; t = strtok(NULL, "\n")) kill(atoi(t), sig);
  }
  return 0;
}

static int cmd_kill(int argc, char **argv) {
  bool all = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a")) all = true;
    else return usage("bad option");
  }
  if (i >= argc || argc - i > 2) return usage("expected ID [SIGNAL]");
  int sig = i + 1 < argc ? parse_signal(argv[i + 1]) : SIGTERM;
  if (sig < 0) return usage("unknown signal");
  struct err e = {0};
  struct cstate s;
  if (!valid_id(argv[i])) return err_set(&e, EINVAL, "invalid container id %s", argv[i]), fail(&e);
  if (state_load(&s, g_root, argv[i], &e) < 0) return fail(&e);
  int r = 0;
  if (strcmp(s.status, "running") && strcmp(s.status, "created"))
    r = err_set(&e, 0, "container %s is not running", argv[i]);
  else
    r = signal_container(&s, sig, all, &e);
  state_free(&s);
  return r < 0 ? fail(&e) : 0;
}

static void wait_gone(pid_t pid, unsigned long long start, int ms) {
  int fd = sys_pidfd_open(pid);
  if (fd < 0) return;
  if (proc_start_time(pid) == start) {
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, ms) < 0 && errno == EINTR) {
    }
  }
  close(fd);
}

static int cmd_delete(int argc, char **argv) {
  bool force = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f")) force = true;
    else return usage("bad option");
  }
  if (i + 1 != argc) return usage("expected one container ID");
  struct err e = {0};
  struct cstate s;
  if (!valid_id(argv[i])) return err_set(&e, EINVAL, "invalid container id %s", argv[i]), fail(&e);
  if (state_load(&s, g_root, argv[i], &e) < 0) return fail(&e);
  if (!strcmp(s.status, "running") && !force) {
    err_set(&e, 0, "container %s is running: stop it first or use --force", argv[i]);
    state_free(&s);
    return fail(&e);
  }
  if (!strcmp(s.status, "creating") && !force) {
    err_set(&e, 0, "container %s is being created", argv[i]);
    state_free(&s);
    return fail(&e);
  }
  if (state_pid_alive(&s)) signal_container(&s, SIGKILL, true, &e);
  if (state_shim_alive(&s)) wait_gone(s.shim_pid, s.shim_start, 10000);
  if (state_pid_alive(&s)) wait_gone(s.pid, s.pid_start, 10000);
  struct cgroup cg;
  int r = 0;
  if (state_cgroup(&s, &cg)) {
    r = -1;
    for (int k = 0; k < 500 && (r = cg.ops->destroy(&cg, &e)) < 0; k++) usleep(10000);
  }
  if (state_remove_dir(s.dir) < 0 && r == 0) r = err_set(&e, errno, "remove %s", s.dir);
  state_free(&s);
  return r < 0 ? fail(&e) : 0;
}

static int cmd_list(int argc, char **argv) {
  (void)argv;
  if (argc != 1) return usage("list takes no arguments");
  DIR *d = opendir(g_root);
  if (!d) return 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !valid_id(de->d_name)) continue;
    struct cstate s;
    struct err e;
    if (state_load(&s, g_root, de->d_name, &e) < 0) continue;
    json_t *o = state_render(&s);
    char *txt = json_dumps(o, JSON_COMPACT);
    printf("%s\n", txt);
    free(txt);
    json_decref(o);
    state_free(&s);
  }
  closedir(d);
  return 0;
}

/* sealed-exec FD PROG [ARG...]: see selfexe.h */
static int cmd_sealed_exec(int argc, char **argv) {
  struct err e = {0};
  char *end = NULL;
  long fd = argc >= 3 ? strtol(argv[1], &end, 10) : -1;
  if (argc < 3 || !end || *end || fd < 3 || fd > 255) return usage("expected FD (3-255) and a program");
  selfexe_hold_and_exec((int)fd, argv + 2, &e);
  return fail(&e);
}

int main(int argc, char **argv, char **envp) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--root") && i + 1 < argc) g_root = argv[++i];
    else if (!strncmp(argv[i], "--root=", 7)) g_root = argv[i] + 7;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage("help"), 0;
    else if (!strcmp(argv[i], "--version")) return puts("tsc-runtime 0.1.0"), 0;
    else return usage("unknown global option");
  }
  if (i >= argc) return usage("missing command");
  /* compiled seccomp filters are a cache, not container state: beside the state root, never inside it
   * (where every entry is a container); TSC_SECCOMP_CACHE overrides */
  static char sc_cache[4200];
  const char *sc_env = getenv("TSC_SECCOMP_CACHE");
  if (sc_env && *sc_env) {
    snprintf(sc_cache, sizeof sc_cache, "%s", sc_env);
  } else {
    snprintf(sc_cache, sizeof sc_cache, "%s", g_root);
    size_t n = strlen(sc_cache);
    while (n > 1 && sc_cache[n - 1] == '/') sc_cache[--n] = 0;
    char *slash = strrchr(sc_cache, '/');
    if (slash && slash != sc_cache) *slash = 0;
    else snprintf(sc_cache, sizeof sc_cache, "%s", slash ? "" : ".");
    strncat(sc_cache, "/seccomp-cache", sizeof sc_cache - strlen(sc_cache) - 1);
  }
  seccomp_cache_dir = sc_cache;
  g_verb = argv[i];
  int sub_argc = argc - i;
  char **sub = argv + i;
  /* serve runs create/run/exec in forks of itself: sealed before its loop, like those verbs */
  bool enters = !strcmp(g_verb, "create") || !strcmp(g_verb, "run") || !strcmp(g_verb, "exec") || !strcmp(g_verb, "serve");
  if (enters) {
    struct err e = {0};
    if (need_root(&e) < 0) return fail(&e);
    if (selfexe_ensure_sealed(argv, envp, &e) < 0) return fail(&e);
  }
  optind = 1;
  if (!strcmp(g_verb, "sealed-exec")) return cmd_sealed_exec(sub_argc, sub);
  if (!strcmp(g_verb, "serve")) return serve_main(sub_argc, sub, main, envp);
  if (!strcmp(g_verb, "create")) return cmd_create_run(sub_argc, sub, false);
  if (!strcmp(g_verb, "run")) return cmd_create_run(sub_argc, sub, true);
  if (!strcmp(g_verb, "start")) return cmd_start(sub_argc, sub);
  if (!strcmp(g_verb, "state")) return cmd_state(sub_argc, sub);
  if (!strcmp(g_verb, "kill")) return cmd_kill(sub_argc, sub);
  if (!strcmp(g_verb, "delete")) return cmd_delete(sub_argc, sub);
  if (!strcmp(g_verb, "list")) return cmd_list(sub_argc, sub);
  if (!strcmp(g_verb, "exec")) return cmd_exec(sub_argc, sub, g_root);
  return usage("unknown command");
}
