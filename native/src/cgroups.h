/* cgroups.h: cgroup v1 and v2 backends behind one table of function pointers. */
#ifndef TSC_CGROUPS_H
#define TSC_CGROUPS_H
#include "config.h"

struct cgroup;
struct cg_ops {
  const char *name;
  int (*setup)(const struct cgroup *cg, const struct resources *r, struct err *e); /* mkdir + limits */
  int (*join)(const struct cgroup *cg, pid_t pid, struct err *e);                   /* pid 0 = caller */
  long long (*oom_kills)(const struct cgroup *cg);                                 /* -1 if unknown */
  int (*procs_path)(const struct cgroup *cg, char *buf, size_t len);               /* a cgroup.procs with all members */
  int (*destroy)(const struct cgroup *cg, struct err *e);
};

struct cgroup {
  const struct cg_ops *ops;
  int version;      /* 1 or 2 */
  bool fake;        /* root given by TSC_CGROUP_ROOT: plain files, created on write */
  char root[1024];  /* mount point of the hierarchy (v2) or of the v1 controllers' parent dir */
  char path[1024];  /* cgroupsPath, with a leading '/' */
};

/* version 0 / root NULL: detect (TSC_CGROUP_VERSION + TSC_CGROUP_ROOT, else statfs of /sys/fs/cgroup). */
int cgroup_init(struct cgroup *cg, const char *cgroups_path, int version, const char *root, bool fake, struct err *e);
#endif
