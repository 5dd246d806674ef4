/* mounts.h: the container's root filesystem, run inside the container's new mount namespace. */
#ifndef TSC_MOUNTS_H
#define TSC_MOUNTS_H
#include "config.h"

/* Make / private, mount the overlay (annotations) or bind root.path onto itself, then every mount of
 * config.json (targets resolved inside the rootfs), /dev nodes and linux.devices. */
int rootfs_setup(const struct config *c, int cgroup_version, struct err *e);
/* pivot_root into root.path and drop the old root. */
int rootfs_pivot(const struct config *c, struct err *e);
/* After pivot: sysctls, masked paths, read-only paths, read-only root. */
int rootfs_finish(const struct config *c, struct err *e);
/* Open PATH inside the root dirfd without leaving it (openat2 RESOLVE_IN_ROOT|NO_MAGICLINKS). */
int open_in_root(int rootfd, const char *path, int flags);
#endif
