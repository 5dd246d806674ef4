/* serve.h: `tsc-runtime serve`, a long-lived runner of tsc-runtime commands (see serve.c). */
#ifndef TSC_SERVE_H
#define TSC_SERVE_H
#include "util.h"

typedef int (*tsc_main_fn)(int argc, char **argv, char **envp);
/* argv: the verb's arguments ("serve" first); runs until EOF on stdin */
int serve_main(int argc, char **argv, tsc_main_fn tsc_main, char **envp);

/* In a job of serve: where a job that goes on after its answer sends it (create / run --detach become the
 * shim in place instead of forking one); -1 otherwise. */
extern int serve_report_fd;
/* answer this job with code now (closes serve_report_fd); the job's own exit is then not reported */
int serve_report(int code);

#endif
