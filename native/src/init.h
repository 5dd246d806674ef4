/* init.h: the built-in init (annotation org.tscompose.init=true). */
#ifndef TSC_INIT_H
#define TSC_INIT_H
/* Runs as the container's PID 1: forks the workload, forwards signals, reaps zombies,
 * exits with the workload's status (128+N for signal N). Never returns. */
__attribute__((noreturn)) void init_run(const char *const *argv, const char *const *env);
#endif
