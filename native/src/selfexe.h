/* selfexe.h: run from a sealed memfd copy of our own binary. */
#ifndef TSC_SELFEXE_H
#define TSC_SELFEXE_H
#include "util.h"
int selfexe_ensure_sealed(char **argv, char **envp, struct err *e);
#endif
