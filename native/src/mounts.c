/* mounts.c: overlay via fsopen/fsconfig "lowerdir+", fd-based mount targets (openat2 RESOLVE_IN_ROOT, then
 * mount onto /proc/self/fd/N or move_mount to the fd: CVE-2021-30465), /dev, pivot_root, masked and read-only
 * paths (the /dev/null used for masking is checked to be the real char device: CVE-2025-31133). */
#include "mounts.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* the directory overlayfs keeps inside the workdir it is given */
#define OVL_WORKDIR_SUB "work"

static int fsopen_(const char *fs, unsigned f) { return (int)syscall(SYS_fsopen, fs, f); }
static int fsconfig_(int fd, unsigned cmd, const char *k, const void *v, int aux) {
  return (int)syscall(SYS_fsconfig, fd, cmd, k, v, aux);
}
static int fsmount_(int fd, unsigned f, unsigned a) { return (int)syscall(SYS_fsmount, fd, f, a); }
static int move_mount_(int fd, const char *p, int tfd, const char *tp, unsigned f) {
  return (int)syscall(SYS_move_mount, fd, p, tfd, tp, f);
}
static int open_tree_(int dfd, const char *p, unsigned f) { return (int)syscall(SYS_open_tree, dfd, p, f); }
static int mount_setattr_(int dfd, const char *p, unsigned f, struct mount_attr *a) {
  return (int)syscall(SYS_mount_setattr, dfd, p, f, a, sizeof *a);
}

int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (!*path) path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Create every missing component of PATH inside rootfd (dirs; the last one a file when is_file). Each one is
 * made through an fd of its parent opened inside the root (RESOLVE_IN_ROOT): parent first, and only when that
 * is missing too its own parent (recursively), so the usual case (a new mount point in an existing dir,
 * e.g. /dev/pts, /sys/fs/cgroup/memory) is one open and one mkdir, not an open per component. */
static int mkpath_in_root(int rootfd, const char *path, bool is_file, struct err *e) {
  char buf[4096];
  if (xsnprintf(buf, sizeof buf, "%s", path) < 0) return err_set(e, ENAMETOOLONG, "path %s", path);
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  if (!strcmp(buf, "/") || !strcmp(buf, ".") || !*buf) return 0; /* the root itself */
  char *slash = strrchr(buf, '/');
  const char *name = slash ? slash + 1 : buf;
  if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) return err_set(e, EINVAL, "mount target %s", path);
  const char *parent = slash == buf ? "/" : buf;
  if (slash) *slash = 0;
  else parent = ".";
  _cleanup_close_ int pfd = open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
  if (pfd < 0 && errno == ENOENT && slash && slash != buf) {
    if (mkpath_in_root(rootfd, buf, false, e) < 0) return -1;
    pfd = open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
  }
  if (pfd < 0) return err_set(e, errno, "open %s in rootfs", parent);
  if (is_file) {
    int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST) return err_set(e, errno, "create %s in rootfs", path);
    if (f >= 0) close(f);
  } else if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) {
    return err_set(e, errno, "mkdir %s in rootfs", path);
  }
  return 0;
}

static int target_fd(int rootfd, const char *dest, bool is_file, struct err *e) {
  int fd = open_in_root(rootfd, dest, O_PATH);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) return err_set(e, errno, "open mount target %s", dest);
    return fd;
  }
  if (mkpath_in_root(rootfd, dest, is_file, e) < 0) return -1;
  fd = open_in_root(rootfd, dest, O_PATH);
  if (fd < 0) return err_set(e, errno, "open mount target %s", dest);
  return fd;
}

struct mopts {
  unsigned long flags, clear;
  unsigned long prop;
  bool bind, rec;
  char data[1024];
};

static void parse_opts(const struct mount_spec *m, struct mopts *o) {
  static const struct {
    const char *name;
    unsigned long set, clear;
  } tab[] = {{"ro", MS_RDONLY, 0},        {"rw", 0, MS_RDONLY},          {"nosuid", MS_NOSUID, 0},
             {"suid", 0, MS_NOSUID},      {"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
             {"noexec", MS_NOEXEC, 0},    {"exec", 0, MS_NOEXEC},        {"sync", MS_SYNCHRONOUS, 0},
             {"async", 0, MS_SYNCHRONOUS}, {"dirsync", MS_DIRSYNC, 0},   {"noatime", MS_NOATIME, 0},
             {"atime", 0, MS_NOATIME},    {"nodiratime", MS_NODIRATIME, 0}, {"diratime", 0, MS_NODIRATIME},
             {"relatime", MS_RELATIME, 0}, {"norelatime", 0, MS_RELATIME}, {"strictatime", MS_STRICTATIME, 0},
             {"nostrictatime", 0, MS_STRICTATIME}, {"mand", MS_MANDLOCK, 0}, {"nomand", 0, MS_MANDLOCK}};
  static const struct {
    const char *name;
    unsigned long prop;
  } props[] = {{"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
               {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
               {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
  memset(o, 0, sizeof *o);
  if (m->type && !strcmp(m->type, "bind")) o->bind = true;
  for (size_t i = 0; i < m->nopt; i++) {
    const char *s = m->options[i];
    bool done = false;
    if (!strcmp(s, "bind")) o->bind = done = true;
    if (!strcmp(s, "rbind")) o->bind = o->rec = done = true;
    if (!strcmp(s, "tmpcopyup") || !strcmp(s, "z") || !strcmp(s, "Z")) done = true;
    for (size_t k = 0; !done && k < sizeof tab / sizeof *tab; k++)
      if (!strcmp(s, tab[k].name)) {
        o->flags = (o->flags | tab[k].set) & ~tab[k].clear;
        o->clear = (o->clear | tab[k].clear) & ~tab[k].set;
        done = true;
      }
    for (size_t k = 0; !done && k < sizeof props / sizeof *props; k++)
      if (!strcmp(s, props[k].name)) {
        o->prop = props[k].prop;
        done = true;
      }
    if (!done) {
      size_t l = strlen(o->data);
      snprintf(o->data + l, sizeof o->data - l, "%s%s", l ? "," : "", s);
    }
  }
}

static unsigned long attr_from_flags(unsigned long f) {
  unsigned long a = 0;
  if (f & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (f & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (f & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (f & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (f & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  if (f & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  if (f & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  return a;
}

static int do_bind(int rootfd, const struct mount_spec *m, const struct mopts *o, struct err *e) {
  if (!m->source) return err_set(e, EINVAL, "bind mount %s without source", m->dest);
  struct stat st;
  if (stat(m->source, &st) < 0) return err_set(e, errno, "bind mount source %s", m->source);
  _cleanup_close_ int tree =
      open_tree_(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->rec ? AT_RECURSIVE : 0));
  if (tree < 0) return err_set(e, errno, "open_tree %s", m->source);
  struct mount_attr a = {.attr_set = attr_from_flags(o->flags), .attr_clr = attr_from_flags(o->clear)};
  if (a.attr_set & MOUNT_ATTR_STRICTATIME) a.attr_clr |= MOUNT_ATTR__ATIME;
  if (o->prop) a.propagation = o->prop & ~MS_REC;
  if ((a.attr_set || a.attr_clr || a.propagation) &&
      mount_setattr_(tree, "", AT_EMPTY_PATH | (o->rec ? AT_RECURSIVE : 0), &a) < 0)
    return err_set(e, errno, "mount_setattr %s", m->dest);
  _cleanup_close_ int t = target_fd(rootfd, m->dest, !S_ISDIR(st.st_mode), e);
  if (t < 0) return -1;
  if (move_mount_(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return err_set(e, errno, "bind mount %s on %s", m->source, m->dest);
  return 0;
}

static int mount_on_fd(int tfd, const char *src, const char *type, unsigned long flags, const char *data,
                       const char *dest, struct err *e) {
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", tfd);
  if (mount(src, p, type, flags, data && *data ? data : NULL) < 0)
    return err_set(e, errno, "mount %s on %s", type, dest);
  return 0;
}

static int mount_cgroup(int rootfd, const struct mount_spec *m, const struct mopts *o, int version, struct err *e) {
  _cleanup_close_ int t = target_fd(rootfd, m->dest, false, e);
  if (t < 0) return -1;
  unsigned long fl = o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (version == 2) return mount_on_fd(t, "cgroup", "cgroup2", fl, NULL, m->dest, e);
  if (mount_on_fd(t, "tmpfs", "tmpfs", (fl & ~MS_RDONLY), "mode=755", m->dest, e) < 0) return -1;
  static const char *const ctrls[] = {"memory", "cpu", "cpuacct", "pids", "blkio", "devices", "freezer", "cpuset"};
  for (size_t i = 0; i < sizeof ctrls / sizeof *ctrls; i++) {
    char host[128], dest[4200];
    snprintf(host, sizeof host, "/sys/fs/cgroup/%s", ctrls[i]);
    if (access(host, F_OK) < 0) continue;
    snprintf(dest, sizeof dest, "%s/%s", m->dest, ctrls[i]);
    _cleanup_close_ int ct = target_fd(rootfd, dest, false, e);
    if (ct < 0) return -1;
    if (mount_on_fd(ct, "cgroup", "cgroup", fl, ctrls[i], dest, e) < 0) return -1;
  }
  if (o->flags & MS_RDONLY) {
    _cleanup_close_ int top = open_in_root(rootfd, m->dest, O_PATH);
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (top < 0 || mount_setattr_(top, "", AT_EMPTY_PATH, &a) < 0) return err_set(e, errno, "read-only %s", m->dest);
  }
  return 0;
}

static int do_mount(int rootfd, const struct mount_spec *m, int cgv, struct err *e) {
  struct mopts o;
  parse_opts(m, &o);
  if (o.bind) return do_bind(rootfd, m, &o, e);
  if (!m->type) return err_set(e, EINVAL, "mount %s has no type", m->dest);
  if (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) return mount_cgroup(rootfd, m, &o, cgv, e);
  _cleanup_close_ int t = target_fd(rootfd, m->dest, false, e);
  if (t < 0) return -1;
  if (!strcmp(m->type, "proc") || !strcmp(m->type, "sysfs")) {
    /* mounting over a symlink or a non-directory is refused */
    struct stat st;
    if (fstat(t, &st) < 0 || !S_ISDIR(st.st_mode)) return err_set(e, ENOTDIR, "mount %s on %s", m->type, m->dest);
  }
  if (mount_on_fd(t, m->source ? m->source : m->type, m->type, o.flags, o.data, m->dest, e) < 0) return -1;
  if (o.prop) {
    _cleanup_close_ int top = open_in_root(rootfd, m->dest, O_PATH);
    struct mount_attr a = {.propagation = o.prop & ~MS_REC};
    if (top < 0 || mount_setattr_(top, "", AT_EMPTY_PATH | ((o.prop & MS_REC) ? AT_RECURSIVE : 0), &a) < 0)
      return err_set(e, errno, "propagation of %s", m->dest);
  }
  return 0;
}

static int mount_overlay(const struct config *c, struct err *e) {
  _cleanup_close_ int fs = fsopen_("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) {
    if (errno == ENODEV) return err_set(e, errno, "mount overlay: overlayfs is not available in this kernel");
    return err_set(e, errno, "mount overlay");
  }
  /* lowerdir+ appends below the previous one: give the top layer first */
  for (size_t i = c->nlower; i-- > 0;)
    if (fsconfig_(fs, FSCONFIG_SET_STRING, "lowerdir+", c->lower[i], 0) < 0)
      return err_set(e, errno, "mount overlay: lower layer %s", c->lower[i]);
  if (fsconfig_(fs, FSCONFIG_SET_STRING, "upperdir", c->upper, 0) < 0)
    return err_set(e, errno, "mount overlay: upperdir %s", c->upper);
  if (fsconfig_(fs, FSCONFIG_SET_STRING, "workdir", c->work, 0) < 0)
    return err_set(e, errno, "mount overlay: workdir %s", c->work);
  if (c->volatile_upper) {
    /* a volatile mount leaves <workdir>/<OVL_WORKDIR_SUB>/incompat/volatile behind, which refuses the
       next mount: clear it */
    char p[4200];
    snprintf(p, sizeof p, "%s/%s/incompat/volatile/dirty", c->work, OVL_WORKDIR_SUB);
    unlink(p);
    *strrchr(p, '/') = 0;
    rmdir(p);
    if (fsconfig_(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) return err_set(e, errno, "mount overlay: volatile");
  }
  if (fsconfig_(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    int saved = errno;
    char msg[256];
    ssize_t n = read(fs, msg, sizeof msg - 1);
    if (n > 0) {
      msg[n] = 0;
      return err_set(e, saved, "mount overlay (%s)", msg);
    }
    return err_set(e, saved, "mount overlay");
  }
  _cleanup_close_ int mnt = fsmount_(fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0) return err_set(e, errno, "mount overlay: fsmount");
  if (move_mount_(mnt, "", AT_FDCWD, c->root_abs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return err_set(e, errno, "mount overlay on %s", c->root_abs);
  return 0;
}

static int make_dev_nodes(int rootfd, const struct config *c, struct err *e) {
  _cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (dev < 0) return err_set(e, errno, "open /dev in rootfs");
  static const struct {
    const char *name;
    unsigned maj, min;
  } nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
    if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0 && errno != EEXIST)
      return err_set(e, errno, "mknod /dev/%s", nodes[i].name);
  static const char *const links[][2] = {{"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
                                         {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                         {"pts/ptmx", "ptmx"}};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
      return err_set(e, errno, "symlink /dev/%s", links[i][1]);
  for (size_t i = 0; i < c->ndevices; i++) {
    const struct dev_node *d = &c->devices[i];
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", d->path);
    char *slash = strrchr(parent, '/');
    *slash = 0;
    if (mkpath_in_root(rootfd, *parent ? parent : "/", false, e) < 0) return -1;
    _cleanup_close_ int pfd = open_in_root(rootfd, *parent ? parent : "/", O_PATH | O_DIRECTORY);
    if (pfd < 0) return err_set(e, errno, "open %s", parent);
    unlinkat(pfd, slash + 1, 0);
    if (mknodat(pfd, slash + 1, type | (d->mode & 07777), makedev(d->major, d->minor)) < 0)
      return err_set(e, errno, "mknod %s", d->path);
    if (fchownat(pfd, slash + 1, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
      return err_set(e, errno, "chown %s", d->path);
  }
  return 0;
}

int rootfs_setup(const struct config *c, int cgv, struct err *e) {
  unsigned long prop = MS_PRIVATE;
  if (c->rootfs_propagation) {
    if (strstr(c->rootfs_propagation, "slave")) prop = MS_SLAVE;
    else if (strstr(c->rootfs_propagation, "shared")) prop = MS_SHARED;
  }
  if (mount(NULL, "/", NULL, MS_REC | (prop == MS_SHARED ? MS_PRIVATE : prop), NULL) < 0)
    return err_set(e, errno, "make / %s", prop == MS_SLAVE ? "rslave" : "rprivate");
  if (c->nlower) {
    if (mount_overlay(c, e) < 0) return -1;
  } else if (mount(c->root_abs, c->root_abs, NULL, MS_BIND | MS_REC, NULL) < 0) {
    return err_set(e, errno, "bind mount rootfs %s", c->root_abs);
  }
  _cleanup_close_ int rootfd = open(c->root_abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return err_set(e, errno, "open rootfs %s", c->root_abs);
  bool have_dev = false;
  for (size_t i = 0; i < c->nmounts; i++)
    if (!strcmp(c->mounts[i].dest, "/dev")) have_dev = true;
  if (!have_dev) {
    static const char *const devopts[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
    static const char *const ptsopts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"};
    static const char *const shmopts[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"};
    const struct mount_spec defs[] = {{"/dev", "tmpfs", "tmpfs", (const char **)devopts, 4},
                                      {"/dev/pts", "devpts", "devpts", (const char **)ptsopts, 6},
                                      {"/dev/shm", "tmpfs", "shm", (const char **)shmopts, 5}};
    for (size_t i = 0; i < 3; i++)
      if (do_mount(rootfd, &defs[i], cgv, e) < 0) return -1;
  }
  for (size_t i = 0; i < c->nmounts; i++)
    if (do_mount(rootfd, &c->mounts[i], cgv, e) < 0) return -1;
  if (prop == MS_SHARED && mount(NULL, c->root_abs, NULL, MS_REC | MS_SHARED, NULL) < 0)
    return err_set(e, errno, "make rootfs rshared");
  return make_dev_nodes(rootfd, c, e);
}

int rootfs_pivot(const struct config *c, struct err *e) {
  if (chdir(c->root_abs) < 0) return err_set(e, errno, "chdir %s", c->root_abs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) return err_set(e, errno, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0) return err_set(e, errno, "umount old root");
  if (chdir("/") < 0) return err_set(e, errno, "chdir /");
  return 0;
}

static int mask_paths(const struct config *c, struct err *e) {
  if (!c->nmasked) return 0;
  _cleanup_close_ int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (null < 0 || fstat(null, &st) < 0) return err_set(e, errno, "open /dev/null for masking");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    return err_set(e, EPERM, "/dev/null is not the null device; refusing to mask with it");
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < c->nmasked; i++) {
    _cleanup_close_ int t = open_in_root(root, c->masked[i], O_PATH | O_NOFOLLOW);
    if (t < 0) {
      if (errno == ENOENT) continue;
      return err_set(e, errno, "mask %s", c->masked[i]);
    }
    if (fstat(t, &st) < 0) return err_set(e, errno, "mask %s", c->masked[i]);
    if (S_ISDIR(st.st_mode)) {
      if (mount_on_fd(t, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0", c->masked[i], e) < 0)
        return -1;
    } else {
      _cleanup_close_ int tree = open_tree_(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0) return err_set(e, errno, "mask %s: clone /dev/null", c->masked[i]);
      if (move_mount_(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return err_set(e, errno, "mask %s", c->masked[i]);
    }
  }
  return 0;
}

/* Only sysctls of a namespace the container owns (runc's rule); any other would change the host. */
static bool sysctl_namespaced(const struct config *c, const char *key) {
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                                    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  char k[256];
  if (xsnprintf(k, sizeof k, "%s", key) < 0) return false;
  for (char *q = k; *q; q++)
    if (*q == '/') *q = '.';
  bool own_ipc = config_has_ns(c, CLONE_NEWIPC);
  for (size_t i = 0; i < sizeof ipc / sizeof *ipc; i++)
    if (!strcmp(k, ipc[i])) return own_ipc;
  if (!strncmp(k, "fs.mqueue.", 10)) return own_ipc;
  if (!strncmp(k, "net.", 4)) return config_has_ns(c, CLONE_NEWNET);
  if (!strcmp(k, "kernel.domainname")) return config_has_ns(c, CLONE_NEWUTS);
  return false;
}

static int set_sysctls(const struct config *c, struct err *e) {
  if (!c->nsysctl) return 0;
  for (size_t i = 0; i < c->nsysctl; i++)
    if (!sysctl_namespaced(c, c->sysctl_keys[i]))
      return err_set(e, EPERM, "sysctl %s is not in a separate kernel namespace", c->sysctl_keys[i]);
  struct statfs sfs;
  if (statfs("/proc", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return err_set(e, EPERM, "sysctl: /proc is not a procfs");
  for (size_t i = 0; i < c->nsysctl; i++) {
    char p[512];
    if (strstr(c->sysctl_keys[i], "..") || xsnprintf(p, sizeof p, "/proc/sys/%s", c->sysctl_keys[i]) < 0)
      return err_set(e, EINVAL, "sysctl %s", c->sysctl_keys[i]);
    for (char *q = p + 10; *q; q++)
      if (*q == '.') *q = '/';
    int fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return err_set(e, errno, "sysctl %s", c->sysctl_keys[i]);
    ssize_t n = write(fd, c->sysctl_vals[i], strlen(c->sysctl_vals[i]));
    int saved = errno;
    close(fd);
    if (n < 0) return err_set(e, saved, "sysctl %s=%s", c->sysctl_keys[i], c->sysctl_vals[i]);
  }
  return 0;
}

static int readonly_paths(const struct config *c, struct err *e) {
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < c->nreadonly; i++) {
    _cleanup_close_ int t = open_in_root(root, c->readonly[i], O_PATH | O_NOFOLLOW);
    if (t < 0) {
      if (errno == ENOENT) continue;
      return err_set(e, errno, "read-only %s", c->readonly[i]);
    }
    _cleanup_close_ int tree = open_tree_(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0) return err_set(e, errno, "read-only %s: open_tree", c->readonly[i]);
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
    if (mount_setattr_(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
      return err_set(e, errno, "read-only %s", c->readonly[i]);
    if (move_mount_(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return err_set(e, errno, "read-only %s", c->readonly[i]);
  }
  return 0;
}

int rootfs_finish(const struct config *c, struct err *e) {
  if (set_sysctls(c, e) < 0 || mask_paths(c, e) < 0 || readonly_paths(c, e) < 0) return -1;
  if (c->root_ro) {
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr_(AT_FDCWD, "/", 0, &a) < 0) return err_set(e, errno, "read-only root");
  }
  return 0;
}
