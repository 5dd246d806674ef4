/* exec.h: run a process inside a running container (setns into its namespaces and cgroup). */
#ifndef TSC_EXEC_H
#define TSC_EXEC_H
int cmd_exec(int argc, char **argv, const char *root);
#endif
