/* caps.h: capability names and the credential switch (user, groups, capability sets, no_new_privs). */
#ifndef TSC_CAPS_H
#define TSC_CAPS_H
#include "util.h"
#include <stdint.h>

struct caps_spec;
int cap_from_name(const char *name); /* "CAP_CHOWN" or "chown" -> number, -1 unknown */
uint64_t caps_all(void);             /* every capability we hold (exec --privileged) */

/* Switch to uid/gid/groups and set the five capability sets exactly as given (when caps->present),
 * then no_new_privs. Must run as root with full capabilities. */
int creds_apply(uint32_t uid, uint32_t gid, const uint32_t *groups, size_t ngroups, const struct caps_spec *caps,
                bool nnp, struct err *e);
#endif
