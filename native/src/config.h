/* config.h: the parts of an OCI runtime-spec config.json that tsc-runtime acts on. */
#ifndef TSC_CONFIG_H
#define TSC_CONFIG_H
#include "util.h"
#include <jansson.h>
#include <stdint.h>

#define CFG_UNSET INT64_MIN

struct mount_spec {
  const char *dest, *type, *source;
  const char **options;
  size_t nopt;
};

struct rlimit_spec {
  const char *name;
  int res;
  uint64_t soft, hard;
};

struct ns_spec {
  int flag;          /* CLONE_NEW* */
  const char *path;  /* join instead of create, or NULL */
};

struct dev_rule {      /* linux.resources.devices */
  bool allow;
  char type;           /* a, c, b */
  int64_t major, minor; /* -1 = wildcard */
  char access[4];
};

struct dev_node {      /* linux.devices */
  const char *path;
  char type;
  int64_t major, minor;
  uint32_t mode;
  uint32_t uid, gid;
};

struct blk_rate {
  int64_t major, minor;
  uint64_t rate;
};

struct resources {
  int64_t mem_limit, mem_swap, mem_reservation; /* CFG_UNSET when absent */
  int64_t cpu_quota;                            /* CFG_UNSET when absent */
  uint64_t cpu_period, cpu_shares;              /* 0 when absent */
  const char *cpuset_cpus, *cpuset_mems;
  int64_t pids_limit;                           /* CFG_UNSET when absent */
  uint16_t blkio_weight;                        /* 0 when absent */
  struct blk_rate *rbps, *wbps, *riops, *wiops;
  size_t nrbps, nwbps, nriops, nwiops;
  struct dev_rule *devs;
  size_t ndevs;
  json_t *unified;                              /* v2 "unified" map, borrowed */
};

struct caps_spec {
  bool present;
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct config {
  json_t *json;        /* owns every const char * below */
  const char *bundle;
  const char *root_path; /* absolute */
  char root_abs[4096];
  bool root_ro;
  const char *hostname;
  /* process */
  bool terminal;
  const char **args;
  size_t nargs;
  const char **env;
  size_t nenv;
  const char *cwd;
  uint32_t uid, gid;
  uint32_t *agids;
  size_t nagids;
  int64_t umask;       /* CFG_UNSET when absent */
  struct rlimit_spec *rlimits;
  size_t nrlimits;
  bool nnp;
  struct caps_spec caps;
  int64_t oom_score_adj;
  /* linux */
  struct ns_spec ns[8];
  size_t nns;
  struct mount_spec *mounts;
  size_t nmounts;
  const char **masked, **readonly;
  size_t nmasked, nreadonly;
  const char **sysctl_keys, **sysctl_vals;
  size_t nsysctl;
  const char *cgroups_path;
  struct resources res;
  struct dev_node *devices;
  size_t ndevices;
  const char *rootfs_propagation;
  void *seccomp;         /* linux.seccomp as a built libseccomp filter, or NULL (seccomp.h) */
  /* annotations (org.tscompose.*) */
  json_t *annotations;  /* borrowed, may be NULL */
  const char **lower;   /* bottom first */
  size_t nlower;
  const char *upper, *work;
  bool volatile_upper; /* org.tscompose.rootfs.volatile=true: overlay "volatile" (no syncs of the upper) */
  bool init;
  const char *user_name; /* org.tscompose.user: "name[:group]" resolved inside the rootfs */
};

int config_load(struct config *c, const char *bundle, struct err *e);
void config_free(struct config *c);
bool config_has_ns(const struct config *c, int flag);
const char *config_ns_path(const struct config *c, int flag);

#endif
