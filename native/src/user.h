/* user.h: users and groups resolved inside the container's root (after pivot_root or setns(mnt)). */
#ifndef TSC_USER_H
#define TSC_USER_H
#include "util.h"

struct user_ids {
  uint32_t uid, gid;
  uint32_t groups[64];
  size_t ngroups;
  char home[256];
};

/* spec: "name|uid[:group|gid]". Names come from /etc/passwd and /etc/group of the current root.
 * Supplementary groups are the user's memberships in /etc/group. Unknown name -> error "invalid user". */
int user_resolve(const char *spec, struct user_ids *u, struct err *e);
/* HOME of uid from /etc/passwd, "/" when unknown */
void user_home(uint32_t uid, char *buf, size_t len);
#endif
