/* serve.h: `tsc-runtime serve`, a long-lived runner of tsc-runtime commands (see serve.c). */
#ifndef TSC_SERVE_H
#define TSC_SERVE_H
#include "util.h"

typedef int (*tsc_main_fn)(int argc, char **argv, char **envp);
/* argv: the verb's arguments ("serve" first); runs until EOF on stdin */
int serve_main(int argc, char **argv, tsc_main_fn tsc_main, char **envp);

#endif
