/* selfexe.h: run from a sealed memfd copy of our own binary. */
#ifndef TSC_SELFEXE_H
#define TSC_SELFEXE_H
#include "util.h"
int selfexe_ensure_sealed(char **argv, char **envp, struct err *e);
/* sealed-exec: a sealed copy of our binary at `fd` (inherited, not O_CLOEXEC), then exec argv. A long-lived
 * parent (the supervisor's spawner shell) starts tsc-runtime as /proc/self/fd/FD: one copy for all calls. */
int selfexe_hold_and_exec(int fd, char **argv, struct err *e);
#endif
