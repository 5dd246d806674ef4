/* container.c: clone(2) with the namespace flags, the child's setup sequence, and the sync pipe that carries the
 * child's errors (errno + message) back, so the caller reads "mount /proc: EPERM", not "child exited 1". */
#include "container.h"
#include "caps.h"
#include "init.h"
#include "mounts.h"
#include "pty.h"
#include "seccomp.h"
#include "state.h"
#include "user.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MSG_READY = 1, MSG_ERROR = 2, MSG_NOEXEC = 3 /* code: 127 not found, 126 not executable */ };
struct sync_msg {
  int32_t kind, code;
  char msg[768];
};

static const char *env_get(const char *const *env, const char *key) {
  size_t kl = strlen(key);
  for (; env && *env; env++)
    if (!strncmp(*env, key, kl) && (*env)[kl] == '=') return *env + kl + 1;
  return NULL;
}

/* The next place to look for cmd along PATH (*path advances), into full; false once PATH is done. An empty
 * entry is the working directory, as for execvp; an entry too long for full is skipped. */
static bool next_in_path(const char **path, const char *cmd, char *full, size_t len) {
  while (**path) {
    const char *p = *path, *end = strchrnul(p, ':');
    *path = *end ? end + 1 : end;
    int n = end == p ? snprintf(full, len, "./%s", cmd) : snprintf(full, len, "%.*s/%s", (int)(end - p), p, cmd);
    if (n > 0 && (size_t)n < len) return true;
  }
  return false;
}

static const char *path_of(const char *const *env) {
  const char *path = env_get(env, "PATH");
  return path ? path : DEFAULT_PATH;
}

void exec_workload(const char *const *argv, const char *const *env) {
  const char *cmd = argv[0];
  int err = ENOENT;
  if (strchr(cmd, '/')) {
    execve(cmd, (char *const *)argv, (char *const *)env);
    err = errno;
  } else {
    const char *path = path_of(env);
    bool eacces = false;
    char full[4096];
    while (next_in_path(&path, cmd, full, sizeof full)) {
      execve(full, (char *const *)argv, (char *const *)env);
      if (errno == EACCES) eacces = true;
      else if (errno != ENOENT && errno != ENOTDIR) {
        err = errno;
        break;
      }
    }
    if (err == ENOENT && eacces) err = EACCES;
  }
  if (err == ENOENT && !strchr(cmd, '/'))
    dprintf(2, "tsc-runtime: exec: \"%s\": executable file not found in $PATH\n", cmd);
  else
    dprintf(2, "tsc-runtime: exec: \"%s\": %s\n", cmd, strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* An executable regular file, as Go's exec.LookPath takes one (what runc checks): 0 or an errno. */
static int executable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111) || access(path, X_OK) < 0) return EACCES;
  return 0;
}

/* As runc before it reports a container created: the command resolves (the container's PATH) to an
 * executable file, or the create fails, in runc's words, and no process of the workload ever ran (Docker
 * leaves such a container "Created"). 0, or the exit status `docker run` gives: 127 not found, 126 not
 * executable. exec_workload keeps its own reports for what changes in between. */
static int lookup_workload(const char *const *argv, const char *const *env, struct err *e) {
  const char *cmd = argv[0];
  if (!cmd || !*cmd) return err_set(e, 0, "unable to start container process: no command given"), 127;
  if (strchr(cmd, '/')) {
    int r = executable_file(cmd);
    if (r == 0) return 0;
    if (r == EACCES) return err_set(e, 0, "unable to start container process: exec: \"%s\": permission denied", cmd), 126;
    char why[128];
    snprintf(why, sizeof why, "%s", strerror(r));
    why[0] = (char)tolower((unsigned char)why[0]); /* Go's words: "no such file or directory" */
    return err_set(e, 0, "unable to start container process: exec: \"%s\": stat %s: %s", cmd, cmd, why), 127;
  }
  const char *path = path_of(env);
  char full[4096];
  while (next_in_path(&path, cmd, full, sizeof full))
    if (executable_file(full) == 0) return 0;
  return err_set(e, 0, "unable to start container process: exec: \"%s\": executable file not found in $PATH", cmd), 127;
}

static bool child_logs; /* stderr of the child is the log: errors go there too */

__attribute__((noreturn)) static void child_fail_as(int syncfd, struct err *e, int32_t kind) {
  struct sync_msg m = {.kind = kind, .code = e->code};
  snprintf(m.msg, sizeof m.msg, "%s", e->msg);
  char buf[1024];
  if (child_logs) dprintf(2, "tsc-runtime: create: %s\n", err_str(e, buf, sizeof buf));
  if (write(syncfd, &m, sizeof m) < 0) _exit(1);
  _exit(1);
}

__attribute__((noreturn)) static void child_fail(int syncfd, struct err *e) { child_fail_as(syncfd, e, MSG_ERROR); }

static int setup_cwd(const char *cwd, struct err *e) {
  /* resolved inside the new root (no magic links: CVE-2024-21626), created when missing like runc does */
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd = open_in_root(root, cwd, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT) {
    if (mkdir_p(cwd, 0755) < 0) return err_set(e, errno, "invalid cwd %s", cwd);
    fd = open_in_root(root, cwd, O_PATH | O_DIRECTORY);
  }
  if (fd < 0) return err_set(e, errno, "invalid cwd %s", cwd);
  int r = fchdir(fd);
  close(fd);
  if (r < 0) return err_set(e, errno, "invalid cwd %s", cwd);
  char buf[4096];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/') return err_set(e, EPERM, "cwd %s is outside the container", cwd);
  return 0;
}

static const char **build_env(const struct config *c, const char *home, const char **extra, size_t nextra) {
  size_t n = c->nenv + nextra + 3;
  const char **env = calloc(n, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < c->nenv; i++) {
    const char *eq = strchr(c->env[i], '=');
    bool overridden = false;
    for (size_t j = 0; eq && j < nextra; j++)
      if (!strncmp(extra[j], c->env[i], (size_t)(eq - c->env[i]) + 1)) overridden = true;
    if (!overridden) env[k++] = c->env[i];
  }
  for (size_t j = 0; j < nextra; j++) env[k++] = extra[j];
  if (!env_get(env, "PATH")) env[k++] = "PATH=" DEFAULT_PATH;
  if (!env_get(env, "HOME") && home) {
    static char h[300];
    snprintf(h, sizeof h, "HOME=%s", home);
    env[k++] = h;
  }
  return env;
}

/* The container's PID 1 until exec. */
/* The parent puts us into the cgroup while we set up the mounts; wait for it before a cgroup namespace is made
 * (rooted at our cgroup) or anything of the workload runs. */
static void enter_cgroup(struct launch *L, int cgfd, int syncfd) {
  struct err e = {0};
  if (cgfd >= 0) {
    char b = 0;
    ssize_t n;
    do n = read(cgfd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || b != 'j') _exit(1); /* the parent failed and reports its own error */
    close(cgfd);
  } else if (L->has_cg && L->child_joins && L->cg.ops->join(&L->cg, 0, &e) < 0) {
    child_fail(syncfd, &e);
  }
  if (config_has_ns(L->cfg, CLONE_NEWCGROUP) && !config_ns_path(L->cfg, CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
    err_set(&e, errno, "unshare cgroup namespace");
    child_fail(syncfd, &e);
  }
}

/* process.terminal: a pty of the container's devpts becomes stdio (and /dev/console); the master goes to the
 * shim. The caller's window size (foreground run from a terminal) is copied first. With init, the workload
 * takes it as its controlling terminal, not PID 1 (init.c). */
static void setup_terminal(struct launch *L, int consock, int syncfd) {
  struct err e = {0};
  struct winsize ws = {0};
  ioctl(0, TIOCGWINSZ, &ws);
  int master;
  char slave[128];
  if (pty_open(&master, slave, sizeof slave, &e) < 0 || pty_attach(slave, &ws, !L->cfg->init, true, &e) < 0)
    child_fail(syncfd, &e);
  if (send_fd(consock, master) < 0) {
    err_set(&e, errno, "send the pty to the shim");
    child_fail(syncfd, &e);
  }
  close(master);
  close(consock);
}

__attribute__((noreturn)) static void child_main(struct launch *L, int syncfd, int cgfd, int fifofd, int stdio[3], int consock) {
  struct config *c = L->cfg;
  struct err e = {0};
  umask(0);
  child_logs = L->log_path != NULL;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_DUMPABLE, 0);
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0 && stdio[i] != i) dup2(stdio[i], i);
  for (size_t i = 0; i < c->nns; i++) {
    if (!c->ns[i].path) continue;
    int fd = open(c->ns[i].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err_set(&e, errno, "open namespace %s", c->ns[i].path);
      child_fail(syncfd, &e);
    }
    if (c->ns[i].flag != CLONE_NEWPID && setns(fd, c->ns[i].flag) < 0) {
      err_set(&e, errno, "join namespace %s", c->ns[i].path);
      child_fail(syncfd, &e);
    }
    close(fd);
  }
  bool cg_mounts = false;
  for (size_t i = 0; i < c->nmounts; i++)
    if (c->mounts[i].type && !strncmp(c->mounts[i].type, "cgroup", 6)) cg_mounts = true;
  /* a self-join must happen while the host's /sys/fs/cgroup is still our view */
  bool early = cg_mounts || L->child_joins;
  if (early) enter_cgroup(L, cgfd, syncfd);
  if (c->hostname && config_has_ns(c, CLONE_NEWUTS) && sethostname(c->hostname, strlen(c->hostname)) < 0) {
    err_set(&e, errno, "sethostname %s", c->hostname);
    child_fail(syncfd, &e);
  }
  if (!config_has_ns(c, CLONE_NEWNS)) {
    err_set(&e, EINVAL, "a mount namespace is required");
    child_fail(syncfd, &e);
  }
  if (rootfs_setup(c, L->has_cg ? L->cg.version : 1, &e) < 0 || rootfs_pivot(c, &e) < 0 || rootfs_finish(c, &e) < 0)
    child_fail(syncfd, &e);
  if (!early) enter_cgroup(L, cgfd, syncfd);
  if (consock >= 0) setup_terminal(L, consock, syncfd);
  struct user_ids u = {.uid = c->uid, .gid = c->gid};
  const uint32_t *groups = c->agids;
  size_t ngroups = c->nagids;
  if (c->user_name) {
    if (user_resolve(c->user_name, &u, &e) < 0) child_fail(syncfd, &e);
    groups = u.groups;
    ngroups = u.ngroups;
  } else {
    user_home(u.uid, u.home, sizeof u.home);
  }
  if (setup_cwd(c->cwd, &e) < 0) child_fail(syncfd, &e);
  for (size_t i = 0; i < c->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = c->rlimits[i].soft, .rlim_max = c->rlimits[i].hard};
    if (setrlimit(c->rlimits[i].res, &rl) < 0) {
      err_set(&e, errno, "setrlimit %s", c->rlimits[i].name);
      child_fail(syncfd, &e);
    }
  }
  if (c->oom_score_adj != CFG_UNSET) {
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)c->oom_score_adj);
    if (write_file("/proc/self/oom_score_adj", v, &e) < 0) child_fail(syncfd, &e);
  }
  const char **env = build_env(c, u.home, NULL, 0);
  /* seccomp needs CAP_SYS_ADMIN or no_new_privs: before the privileges go, or right after with nnp */
  if (!c->nnp && seccomp_apply(c->seccomp, &e) < 0) child_fail(syncfd, &e);
  if (creds_apply(u.uid, u.gid, groups, ngroups, &c->caps, c->nnp, &e) < 0) child_fail(syncfd, &e);
  if (c->nnp && seccomp_apply(c->seccomp, &e) < 0) child_fail(syncfd, &e);
  umask(c->umask != CFG_UNSET ? (mode_t)c->umask : 022);
  /* with an init (docker-init's place), the init reports a missing command as Docker's does: exit 127 */
  if (!c->init) {
    int status = lookup_workload(c->args, env, &e);
    if (status != 0) {
      e.code = status; /* the exit status a foreground run reports (as docker run) */
      child_fail_as(syncfd, &e, MSG_NOEXEC);
    }
  }
  struct sync_msg m = {.kind = MSG_READY};
  if (write(syncfd, &m, sizeof m) != (ssize_t)sizeof m) _exit(1);
  close(syncfd);
  if (fifofd >= 0) {
    char b;
    ssize_t n;
    do n = read(fifofd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    close(fifofd);
  }
  /* a detached container outlives its shim; a foreground run takes its container with it */
  if (L->detached) prctl(PR_SET_PDEATHSIG, 0);
  if (c->init) init_run(c->args, env, c->terminal);
  sys_close_range(3, ~0U, 0);
  exec_workload(c->args, env);
}

struct child_args {
  struct launch *L;
  int sync_r, sync_w, fifofd, consock;
  int stdio[3];
};

static int shared_child(void *arg) {
  struct child_args *a = arg;
  close(a->sync_r);
  child_main(a->L, a->sync_w, -1, a->fifofd, a->stdio, a->consock);
}

static int clone_flags(const struct config *c) {
  int f = 0;
  for (size_t i = 0; i < c->nns; i++)
    if (!c->ns[i].path && c->ns[i].flag != CLONE_NEWCGROUP) f |= c->ns[i].flag;
  return f;
}

static int open_stdio(struct launch *L, int stdio[3], int pipes[2][2], struct err *e) {
  stdio[0] = stdio[1] = stdio[2] = -1;
  L->out_r = L->err_r = L->logfd = -1;
  if (L->detached) {
    stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (stdio[0] < 0) return err_set(e, errno, "open /dev/null");
  }
  if (L->log_path) {
    L->logfd = open(L->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (L->logfd < 0) return err_set(e, errno, "open log %s", L->log_path);
    if (pipe2(pipes[0], O_CLOEXEC) < 0 || pipe2(pipes[1], O_CLOEXEC) < 0) return err_set(e, errno, "pipe");
    stdio[1] = pipes[0][1];
    stdio[2] = pipes[1][1];
    L->out_r = pipes[0][0];
    L->err_r = pipes[1][0];
  } else if (L->detached) {
    stdio[1] = stdio[2] = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (stdio[1] < 0) return err_set(e, errno, "open /dev/null");
  }
  return 0;
}

int container_launch(struct launch *L, struct err *e) {
  struct config *c = L->cfg;
  int stdio[3], pipes[2][2] = {{-1, -1}, {-1, -1}};
  if (open_stdio(L, stdio, pipes, e) < 0) return -1;
  L->has_cg = false;
  L->oom_base = -1;
  L->pty = -1;
  L->noexec_status = 0;
  /* run without init: the child execs the workload right after setup, so it can share our memory like
   * vfork (no page-table copy, no copy-on-write faults); we stay suspended until it has exec'd. */
  bool shared_vm = !L->wait_start && !c->init;
  L->child_joins = shared_vm;
  int cgp[2] = {-1, -1};
  if (c->cgroups_path) {
    if (cgroup_init(&L->cg, c->cgroups_path, 0, NULL, false, e) < 0) return -1;
    L->has_cg = true;
    if (shared_vm) {
      if (L->cg.ops->setup(&L->cg, &c->res, e) < 0) {
        L->cg.ops->destroy(&L->cg, &(struct err){0});
        return -1;
      }
      L->oom_base = L->cg.ops->oom_kills(&L->cg);
    } else if (pipe2(cgp, O_CLOEXEC) < 0) {
      return err_set(e, errno, "pipe");
    }
  }
  int fifofd = -1;
  if (L->wait_start) {
    char p[4200];
    snprintf(p, sizeof p, "%s/start", L->state_dir);
    fifofd = open(p, O_RDWR | O_CLOEXEC);
    if (fifofd < 0) return err_set(e, errno, "open start fifo %s", p);
  }
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) < 0) return err_set(e, errno, "pipe");
  int cons[2] = {-1, -1};
  if (c->terminal && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cons) < 0) return err_set(e, errno, "socketpair");
  const char *pidns = config_ns_path(c, CLONE_NEWPID);
  if (pidns) {
    int fd = open(pidns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) return err_set(e, errno, "join pid namespace %s", pidns);
    close(fd);
  }
  pid_t pid;
  if (shared_vm) {
    struct child_args a = {L, sync[0], sync[1], fifofd, cons[1], {stdio[0], stdio[1], stdio[2]}};
    size_t sz = 1 << 20;
    void *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) return err_set(e, errno, "mmap");
    pid = clone(shared_child, (char *)stack + sz, clone_flags(c) | CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    munmap(stack, sz); /* the child has exec'd or exited */
  } else {
    pid = (pid_t)syscall(SYS_clone, clone_flags(c) | SIGCHLD, NULL, NULL, NULL, NULL);
  }
  int clone_errno = errno;
  if (pid == 0) {
    close(sync[0]);
    if (cgp[1] >= 0) close(cgp[1]);
    if (cons[0] >= 0) close(cons[0]);
    child_main(L, sync[1], cgp[0], fifofd, stdio, cons[1]);
  }
  if (cons[1] >= 0) close(cons[1]);
  /* the child has its own copies: ours must go now, or a log drain after an error below never sees EOF */
  if (fifofd >= 0) close(fifofd);
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0 && (i != 2 || stdio[2] != stdio[1])) close(stdio[i]);
  if (pid < 0) {
    int saved = clone_errno;
    if (cons[0] >= 0) close(cons[0]);
    close(sync[0]);
    close(sync[1]);
    if (cgp[0] >= 0) close(cgp[0]);
    if (cgp[1] >= 0) close(cgp[1]);
    if (L->has_cg) L->cg.ops->destroy(&L->cg, &(struct err){0});
    return err_set(e, saved, "clone");
  }
  close(sync[1]);
  if (L->has_cg && !shared_vm) {
    /* in parallel with the child's mount setup: cgroup dirs, limits, OOM baseline, then the child joins */
    close(cgp[0]);
    int r = L->cg.ops->setup(&L->cg, &c->res, e);
    if (r == 0) {
      L->oom_base = L->cg.ops->oom_kills(&L->cg);
      r = L->cg.ops->join(&L->cg, pid, e);
    }
    if (write(cgp[1], r == 0 ? "j" : "x", 1) != 1 && r == 0) r = err_set(e, errno, "release container init");
    close(cgp[1]);
    if (r < 0) {
      close(sync[0]);
      if (cons[0] >= 0) close(cons[0]);
      kill(pid, SIGKILL);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
      L->cg.ops->destroy(&L->cg, &(struct err){0});
      return -1;
    }
  }
  struct sync_msg m;
  ssize_t n = read_all(sync[0], &m, sizeof m);
  close(sync[0]);
  if (n != (ssize_t)sizeof m || m.kind != MSG_READY) {
    if (n == (ssize_t)sizeof m && m.kind == MSG_NOEXEC) {
      L->noexec_status = m.code;
      e->code = 0;
      snprintf(e->msg, sizeof e->msg, "%s", m.msg);
    } else if (n == (ssize_t)sizeof m && m.kind == MSG_ERROR) {
      e->code = m.code;
      snprintf(e->msg, sizeof e->msg, "%s", m.msg);
    } else {
      err_set(e, 0, "container init exited during setup");
    }
    if (cons[0] >= 0) close(cons[0]);
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (L->has_cg) L->cg.ops->destroy(&L->cg, &(struct err){0});
    return -1;
  }
  if (cons[0] >= 0) {
    L->pty = recv_fd(cons[0]); /* sent before READY: already queued */
    close(cons[0]);
    if (L->pty >= 0 && L->console_socket) {
      int r = console_socket_send(L->console_socket, L->pty, e);
      close(L->pty);
      L->pty = -1;
      if (r < 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        if (L->has_cg) L->cg.ops->destroy(&L->cg, &(struct err){0});
        return -1;
      }
    }
  }
  L->pid = pid;
  L->pid_start = proc_start_time(pid);
  return 0;
}
