/* init.h: the built-in init (annotation org.tscompose.init=true). */
#ifndef TSC_INIT_H
#define TSC_INIT_H
#include <stdbool.h>
/* Runs as the container's PID 1: forks the workload, forwards signals, reaps zombies,
 * exits with the workload's status (128+N for signal N). Never returns. */
/* terminal: stdio is a pty that the workload takes as its controlling terminal. */
__attribute__((noreturn)) void init_run(const char *const *argv, const char *const *env, bool terminal);
#endif
