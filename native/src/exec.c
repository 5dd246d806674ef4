/* exec.c: `exec [-t] [--cwd DIR] [--env K=V]... [--user U[:G]] [--detach] [--privileged] ID -- CMD...`
 * Joins the container's cgroup (from the host's view), then its namespaces (mnt last), forks into its pid
 * namespace and execs with the container's capability sets and no_new_privs. -t: a pty from the container's
 * own devpts, relayed to our stdio. We already run from the sealed memfd copy (selfexe.c). */
#include "exec.h"
#include "caps.h"
#include "cgroups.h"
#include "config.h"
#include "container.h"
#include "mounts.h"
#include "pty.h"
#include "seccomp.h"
#include "state.h"
#include "user.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int xfail(const char *fmt, const char *a, int code) {
  fprintf(stderr, "tsc-runtime: exec: ");
  fprintf(stderr, fmt, a);
  if (code) fprintf(stderr, ": %s", strerror(code));
  fputc('\n', stderr);
  return 1;
}

static int relay(int master, pid_t child) {
  term_raw(0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  pty_copy_winsize(0, master);
  int in = 0;
  for (;;) {
    struct pollfd p[3] = {{master, POLLIN, 0}, {in, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) break;
    if (p[2].revents & POLLIN) { /* first: a resize reaches the pty before input typed after it */
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) pty_copy_winsize(0, master);
    }
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_out(master, 1)) break; /* EIO: the slave side is closed */
    if (in >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_in(in, master)) in = -1;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  term_restore(0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_exec(int argc, char **argv, const char *root) {
  static const struct option lo[] = {{"tty", 0, 0, 't'},  {"cwd", 1, 0, 'w'},    {"env", 1, 0, 'e'},
                                     {"user", 1, 0, 'u'}, {"detach", 0, 0, 'd'}, {"interactive", 0, 0, 'i'},
                                     {"privileged", 0, 0, 'P'}, {0, 0, 0, 0}};
  bool tty = false, detach = false, privileged = false;
  const char *cwd = NULL, *user = NULL;
  const char **extra = calloc((size_t)argc + 1, sizeof *extra);
  size_t nextra = 0;
  int o;
  while ((o = getopt_long(argc, argv, "+tw:e:u:di", lo, NULL)) != -1) {
    switch (o) {
      case 't': tty = true; break;
      case 'w': cwd = optarg; break;
      case 'e':
        if (!strchr(optarg, '=')) return xfail("--env %s: expected K=V", optarg, 0) + 1;
        extra[nextra++] = optarg;
        break;
      case 'u': user = optarg; break;
      case 'd': detach = true; break;
      case 'i': break;
      case 'P': privileged = true; break;
      default: return 2;
    }
  }
  if (optind >= argc) return xfail("%s", "expected ID -- CMD [ARG...]", 0) + 1;
  const char *id = argv[optind++];
  if (optind < argc && !strcmp(argv[optind], "--")) optind++;
  if (optind >= argc) return xfail("%s", "expected ID -- CMD [ARG...]", 0) + 1;
  const char *const *cmd = (const char *const *)argv + optind;
  struct err e = {0};
  struct cstate s;
  if (state_load(&s, root, id, &e) < 0) return xfail("%s", e.msg, 0);
  if (strcmp(s.status, "running")) return xfail("container %s is not running", id, 0);
  struct config cfg;
  const char *bundle = json_string_value(json_object_get(s.json, "bundle"));
  if (!bundle || config_load(&cfg, bundle, &e) < 0) return xfail("%s", e.msg, e.code);
  static const struct {
    const char *name;
    int flag;
  } nss[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
             {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}};
  int fds[6];
  for (int i = 0; i < 6; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", s.pid, nss[i].name);
    fds[i] = open(p, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) return xfail("open %s", p, errno);
  }
  if (proc_start_time(s.pid) != s.pid_start) return xfail("container %s is not running", id, 0);
  prctl(PR_SET_DUMPABLE, 0);
  const char *cgp = json_string_value(json_object_get(s.json, "cgroupsPath"));
  if (cgp) {
    struct cgroup cg;
    if (cgroup_init(&cg, cgp, (int)json_integer_value(json_object_get(s.json, "cgroupVersion")),
                    json_string_value(json_object_get(s.json, "cgroupRoot")),
                    json_is_true(json_object_get(s.json, "cgroupFake")), &e) < 0 ||
        cg.ops->join(&cg, 0, &e) < 0)
      return xfail("%s", e.msg, e.code);
  }
  for (int i = 0; i < 6; i++) {
    if (setns(fds[i], nss[i].flag) < 0) return xfail("join %s namespace", nss[i].name, errno);
    close(fds[i]);
  }
  int master = -1;
  char slave[128] = "";
  if (tty) {
    if (pty_open(&master, slave, sizeof slave, &e) < 0) return xfail("allocate a pty in the container: %s", e.msg, e.code);
    pty_copy_winsize(0, master); /* before the process can ask for it */
  }
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) return xfail("%s", "pipe", errno);
  pid_t child = fork();
  if (child < 0) return xfail("%s", "fork", errno);
  if (child == 0) {
    close(rep[0]);
    if (tty) {
      setsid();
      int sl = open(slave, O_RDWR | O_CLOEXEC);
      if (sl < 0 || ioctl(sl, TIOCSCTTY, 0) < 0) {
        dprintf(rep[1], "open pty %s: %s", slave, strerror(errno));
        _exit(126);
      }
      for (int i = 0; i < 3; i++) dup2(sl, i);
    } else if (detach) {
      setsid();
      int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* the caller's stdio is not held open */
      for (int i = 0; null >= 0 && i < 3; i++) dup2(null, i);
    }
    struct user_ids u = {.uid = cfg.uid, .gid = cfg.gid};
    const uint32_t *groups = cfg.agids;
    size_t ngroups = cfg.nagids;
    const char *uspec = user ? user : cfg.user_name;
    if (uspec) {
      if (user_resolve(uspec, &u, &e) < 0) {
        dprintf(rep[1], "%s", e.msg);
        _exit(126);
      }
      groups = u.groups;
      ngroups = u.ngroups;
    } else {
      user_home(u.uid, u.home, sizeof u.home);
    }
    const char *dir = cwd ? cwd : cfg.cwd;
    int dfd = open_in_root(open("/", O_PATH | O_CLOEXEC), dir, O_PATH | O_DIRECTORY);
    char got[4096];
    if (dfd < 0 || fchdir(dfd) < 0 || !getcwd(got, sizeof got) || got[0] != '/') {
      dprintf(rep[1], "chdir to cwd (\"%s\") failed: %s", dir, strerror(errno)); /* Docker's wording */
      _exit(126);
    }
    /* environment: the container's, then --env, HOME of the user */
    size_t n = cfg.nenv + nextra + 3, k = 0;
    const char **env = calloc(n, sizeof *env);
    for (size_t i = 0; i < cfg.nenv; i++) {
      const char *eq = strchr(cfg.env[i], '=');
      bool over = false;
      for (size_t j = 0; eq && j < nextra; j++)
        if (!strncmp(extra[j], cfg.env[i], (size_t)(eq - cfg.env[i]) + 1)) over = true;
      if (!over) env[k++] = cfg.env[i];
    }
    for (size_t j = 0; j < nextra; j++) env[k++] = extra[j];
    bool has_home = false, has_path = false;
    for (size_t i = 0; i < k; i++) {
      if (!strncmp(env[i], "HOME=", 5)) has_home = true;
      if (!strncmp(env[i], "PATH=", 5)) has_path = true;
    }
    char home[300];
    snprintf(home, sizeof home, "HOME=%s", u.home);
    if (!has_home) env[k++] = home;
    if (!has_path) env[k++] = "PATH=" DEFAULT_PATH;
    for (size_t i = 0; i < cfg.nrlimits; i++) {
      struct rlimit rl = {.rlim_cur = cfg.rlimits[i].soft, .rlim_max = cfg.rlimits[i].hard};
      if (setrlimit(cfg.rlimits[i].res, &rl) < 0) {
        dprintf(rep[1], "setrlimit %s: %s", cfg.rlimits[i].name, strerror(errno));
        _exit(126);
      }
    }
    if (privileged) { /* as docker exec --privileged: every capability (the container's seccomp filter stays) */
      cfg.caps.present = true;
      cfg.caps.bounding = cfg.caps.permitted = cfg.caps.effective = caps_all();
    }
    if ((!cfg.nnp && seccomp_apply(cfg.seccomp, &e) < 0) ||
        creds_apply(u.uid, u.gid, groups, ngroups, &cfg.caps, cfg.nnp, &e) < 0 ||
        (cfg.nnp && seccomp_apply(cfg.seccomp, &e) < 0)) {
      dprintf(rep[1], "%s: %s", e.msg, strerror(e.code));
      _exit(126);
    }
    sys_close_range(3, ~0U, 0);
    exec_workload(cmd, env);
  }
  close(rep[1]);
  char msg[1024];
  ssize_t n = read_all(rep[0], msg, sizeof msg - 1);
  close(rep[0]);
  if (n > 0) {
    msg[n] = 0;
    waitpid(child, NULL, 0);
    xfail("%s", msg, 0);
    return 126; /* as docker exec: the process could not be set up (cwd, user, credentials) */
  }
  if (detach) {
    printf("%d\n", child);
    return 0;
  }
  if (tty) return relay(master, child);
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
