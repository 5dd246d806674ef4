/* seccomp.h: linux.seccomp of config.json as a BPF program (opaque here, so only seccomp.c sees libseccomp). */
#ifndef TSC_SECCOMP_H
#define TSC_SECCOMP_H
#include "util.h"
#include <jansson.h>

/* Where compiled programs are cached (main.c: <state root>/.seccomp); NULL: no cache. */
extern const char *seccomp_cache_dir;
/* Build the filter of a linux.seccomp object (NULL/absent: *out = NULL, no filter). */
int seccomp_build(json_t *spec, void **out, struct err *e);
/* Load it into the calling thread (no-op for NULL). */
int seccomp_apply(void *filter, struct err *e);
void seccomp_free(void *filter);
#endif
