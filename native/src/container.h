/* container.h: clone the container's PID 1, set it up in the child, report over the sync pipe. */
#ifndef TSC_CONTAINER_H
#define TSC_CONTAINER_H
#include "cgroups.h"
#include "config.h"

struct launch {
  struct config *cfg;
  const char *id;
  char state_dir[4096];
  const char *log_path;     /* CRI log file, or NULL */
  const char *console_socket; /* --console-socket: the pty master goes there instead of to the shim */
  bool wait_start;          /* create: PID 1 blocks on the start FIFO */
  bool detached;            /* no caller stdio: stdin /dev/null, output to the log or /dev/null */
  /* filled by container_launch */
  pid_t pid;
  unsigned long long pid_start;
  struct cgroup cg;
  bool has_cg;
  bool child_joins;         /* the child writes itself into cgroup.procs (shared-VM launch) */
  long long oom_base;
  int out_r, err_r;         /* read ends of the container's stdout/stderr pipes, -1 when not logging */
  int pty;                  /* process.terminal: the pty master (from the container's devpts), else -1 */
  int logfd;
  int noexec_status;        /* failed launch: 127 (command not found) or 126 (not executable), else 0 */
};

/* Everything up to "PID 1 ready": cgroup, clone, setup in the child, state.json. On failure the child's
 * message is in e and nothing is left behind (cgroup removed, child reaped). */
int container_launch(struct launch *L, struct err *e);

/* PATH of a process whose environment has none (runc's, Docker's). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Exec argv with PATH from env (the container's), report failures on stderr; never returns. */
__attribute__((noreturn)) void exec_workload(const char *const *argv, const char *const *env);
#endif
