/* cgroups.c: v1 (one hierarchy per controller, the layout of this host) and v2 (unified) backends.
 * TSC_CGROUP_VERSION=1|2 and TSC_CGROUP_ROOT=DIR point a backend at a fake tree (how v2 is tested on a v1 host). */
#include "cgroups.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static const char *const v1_ctrls[] = {"memory", "cpu", "cpuacct", "pids", "blkio", "devices"};
#define NV1 (sizeof v1_ctrls / sizeof *v1_ctrls)

static int cg_write(const struct cgroup *cg, const char *dir, const char *file, const char *val, struct err *e) {
  char p[2300];
  if (xsnprintf(p, sizeof p, "%s/%s", dir, file) < 0) return err_set(e, errno, "cgroup path");
  if (write_file_at(AT_FDCWD, p, val, cg->fake ? O_CREAT | O_TRUNC : 0, e) < 0) {
    if (e->code == ENOENT) return err_set(e, ENOENT, "cgroup: %s missing (controller not available?)", p);
    return -1;
  }
  return 0;
}

static void fmt_dev(char *buf, size_t len, int64_t v) {
  if (v < 0)
    snprintf(buf, len, "*");
  else
    snprintf(buf, len, "%lld", (long long)v);
}

/* ---------- v1 ---------- */
static int v1_dir(const struct cgroup *cg, const char *ctrl, char *buf, size_t len) {
  return xsnprintf(buf, len, "%s/%s%s", cg->root, ctrl, cg->path);
}

static int v1_rates(const struct cgroup *cg, const char *dir, const char *file, const struct blk_rate *r, size_t n,
                    struct err *e) {
  for (size_t i = 0; i < n; i++) {
    char v[96];
    snprintf(v, sizeof v, "%lld:%lld %llu", (long long)r[i].major, (long long)r[i].minor, (unsigned long long)r[i].rate);
    if (cg_write(cg, dir, file, v, e) < 0) return -1;
  }
  return 0;
}

static int v1_setup(const struct cgroup *cg, const struct resources *r, struct err *e) {
  char d[2048], v[128];
  bool cpuset = r->cpuset_cpus || r->cpuset_mems;
  for (size_t i = 0; i < NV1 + cpuset; i++) {
    const char *ctrl = i < NV1 ? v1_ctrls[i] : "cpuset";
    char base[1100];
    snprintf(base, sizeof base, "%s/%s", cg->root, ctrl);
    if (!cg->fake && access(base, F_OK) < 0) return err_set(e, errno, "cgroup controller %s missing (%s)", ctrl, base);
    if (v1_dir(cg, ctrl, d, sizeof d) < 0) return err_set(e, errno, "cgroup path");
    if (mkdir(d, 0755) < 0 && errno != EEXIST && (errno != ENOENT || mkdir_p(d, 0755) < 0))
      return err_set(e, errno, "mkdir cgroup %s", d);
  }
  v1_dir(cg, "memory", d, sizeof d);
  if (r->mem_limit != CFG_UNSET) {
    snprintf(v, sizeof v, "%lld", (long long)r->mem_limit);
    if (cg_write(cg, d, "memory.limit_in_bytes", v, e) < 0) return -1;
  }
  if (r->mem_swap != CFG_UNSET) {
    snprintf(v, sizeof v, "%lld", (long long)r->mem_swap);
    if (cg_write(cg, d, "memory.memsw.limit_in_bytes", v, e) < 0) return err_wrap(e, "swap limit");
  }
  if (r->mem_reservation != CFG_UNSET) {
    snprintf(v, sizeof v, "%lld", (long long)r->mem_reservation);
    if (cg_write(cg, d, "memory.soft_limit_in_bytes", v, e) < 0) return -1;
  }
  v1_dir(cg, "cpu", d, sizeof d);
  if (r->cpu_shares) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_shares);
    if (cg_write(cg, d, "cpu.shares", v, e) < 0) return -1;
  }
  if (r->cpu_period) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_period);
    if (cg_write(cg, d, "cpu.cfs_period_us", v, e) < 0) return -1;
  }
  if (r->cpu_quota != CFG_UNSET) {
    snprintf(v, sizeof v, "%lld", (long long)(r->cpu_quota > 0 ? r->cpu_quota : -1));
    if (cg_write(cg, d, "cpu.cfs_quota_us", v, e) < 0) return -1;
  }
  if (r->pids_limit != CFG_UNSET) {
    v1_dir(cg, "pids", d, sizeof d);
    if (r->pids_limit > 0)
      snprintf(v, sizeof v, "%lld", (long long)r->pids_limit);
    else
      snprintf(v, sizeof v, "max");
    if (cg_write(cg, d, "pids.max", v, e) < 0) return -1;
  }
  v1_dir(cg, "blkio", d, sizeof d);
  if (r->blkio_weight) {
    snprintf(v, sizeof v, "%u", r->blkio_weight);
    if (cg_write(cg, d, "blkio.weight", v, e) < 0 && cg_write(cg, d, "blkio.bfq.weight", v, e) < 0)
      return err_wrap(e, "blkio weight");
  }
  if (v1_rates(cg, d, "blkio.throttle.read_bps_device", r->rbps, r->nrbps, e) < 0 ||
      v1_rates(cg, d, "blkio.throttle.write_bps_device", r->wbps, r->nwbps, e) < 0 ||
      v1_rates(cg, d, "blkio.throttle.read_iops_device", r->riops, r->nriops, e) < 0 ||
      v1_rates(cg, d, "blkio.throttle.write_iops_device", r->wiops, r->nwiops, e) < 0)
    return -1;
  v1_dir(cg, "devices", d, sizeof d);
  for (size_t i = 0; i < r->ndevs; i++) {
    const struct dev_rule *dr = &r->devs[i];
    char ma[24], mi[24];
    fmt_dev(ma, sizeof ma, dr->major);
    fmt_dev(mi, sizeof mi, dr->minor);
    if (dr->type == 'a')
      snprintf(v, sizeof v, "a");
    else
      snprintf(v, sizeof v, "%c %s:%s %s", dr->type, ma, mi, dr->access);
    if (cg_write(cg, d, dr->allow ? "devices.allow" : "devices.deny", v, e) < 0) return -1;
  }
  if (cpuset) {
    v1_dir(cg, "cpuset", d, sizeof d);
    char parent[1100];
    snprintf(parent, sizeof parent, "%s/cpuset", cg->root);
    const char *files[] = {"cpuset.cpus", "cpuset.mems"};
    const char *vals[] = {r->cpuset_cpus, r->cpuset_mems};
    for (int i = 0; i < 2; i++) {
      char pf[1200];
      snprintf(pf, sizeof pf, "%s/%s", parent, files[i]);
      _cleanup_free_ char *inherit = vals[i] ? NULL : read_file(pf, NULL);
      const char *val = vals[i] ? vals[i] : inherit;
      if (val && cg_write(cg, d, files[i], val, e) < 0) return -1;
    }
  }
  return 0;
}

static int v1_join(const struct cgroup *cg, pid_t pid, struct err *e) {
  char d[2048], v[32];
  snprintf(v, sizeof v, "%d", (int)pid);
  for (size_t i = 0; i < NV1; i++) {
    if (v1_dir(cg, v1_ctrls[i], d, sizeof d) < 0) return err_set(e, errno, "cgroup path");
    if (cg_write(cg, d, "cgroup.procs", v, e) < 0) return -1;
  }
  char cs[2048];
  if (v1_dir(cg, "cpuset", cs, sizeof cs) == 0 && access(cs, F_OK) == 0 && cg_write(cg, cs, "cgroup.procs", v, e) < 0)
    return -1;
  return 0;
}

static long long counter(const char *file, const char *key) {
  _cleanup_free_ char *s = read_file(file, NULL);
  if (!s) return -1;
  size_t kl = strlen(key);
  for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (!strncmp(line, key, kl) && line[kl] == ' ') return strtoll(line + kl + 1, NULL, 10);
  return -1;
}

static long long v1_oom(const struct cgroup *cg) {
  char d[2048];
  if (xsnprintf(d, sizeof d, "%s/memory%s/memory.oom_control", cg->root, cg->path) < 0) return -1;
  return counter(d, "oom_kill");
}

static int v1_procs(const struct cgroup *cg, char *buf, size_t len) {
  return xsnprintf(buf, len, "%s/pids%s/cgroup.procs", cg->root, cg->path);
}

static int rmdir_fake(const char *d, bool fake) {
  if (rmdir(d) == 0 || errno == ENOENT) return 0;
  if (!fake || errno != ENOTEMPTY) return -1;
  DIR *dir = opendir(d);
  if (!dir) return -1;
  struct dirent *de;
  while ((de = readdir(dir)))
    if (de->d_type == DT_REG) unlinkat(dirfd(dir), de->d_name, 0);
  closedir(dir);
  return rmdir(d) == 0 || errno == ENOENT ? 0 : -1;
}

static int v1_destroy(const struct cgroup *cg, struct err *e) {
  char d[2048];
  int rc = 0;
  for (size_t i = 0; i <= NV1; i++) {
    v1_dir(cg, i < NV1 ? v1_ctrls[i] : "cpuset", d, sizeof d);
    if (rmdir_fake(d, cg->fake) < 0) rc = err_set(e, errno, "rmdir %s", d);
  }
  return rc;
}

static const struct cg_ops v1_ops = {"v1", v1_setup, v1_join, v1_oom, v1_procs, v1_destroy};

/* ---------- v2 ---------- */
static int v2_enable(const struct cgroup *cg, struct err *e) {
  char avail[512] = "cpuset cpu io memory pids";
  char p[2300];
  snprintf(p, sizeof p, "%s/cgroup.controllers", cg->root);
  _cleanup_free_ char *ctl = read_file(p, NULL);
  if (ctl) snprintf(avail, sizeof avail, "%s", ctl);
  char want[512] = "";
  const char *names[] = {"cpuset", "cpu", "io", "memory", "pids"};
  for (size_t i = 0; i < 5; i++) {
    char *hit = strstr(avail, names[i]);
    size_t nl = strlen(names[i]);
    while (hit && ((hit != avail && hit[-1] != ' ') || (hit[nl] && hit[nl] != ' ' && hit[nl] != '\n')))
      hit = strstr(hit + 1, names[i]);
    if (hit) {
      strcat(want, *want ? " +" : "+");
      strcat(want, names[i]);
    }
  }
  if (!*want) return 0;
  /* every ancestor from the root down to the parent of the container's cgroup */
  char dir[2300];
  snprintf(dir, sizeof dir, "%s", cg->root);
  const char *rest = cg->path;
  for (;;) {
    if (cg_write(cg, dir, "cgroup.subtree_control", want, e) < 0) return -1;
    while (*rest == '/') rest++;
    const char *slash = strchr(rest, '/');
    if (!slash) break;
    size_t dl = strlen(dir);
    snprintf(dir + dl, sizeof dir - dl, "/%.*s", (int)(slash - rest), rest);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return err_set(e, errno, "mkdir %s", dir);
    rest = slash;
  }
  return 0;
}

static int v2_rates(char *buf, size_t len, const char *key, const struct blk_rate *r, size_t n, int64_t maj, int64_t min) {
  size_t off = strlen(buf);
  for (size_t i = 0; i < n; i++)
    if (r[i].major == maj && r[i].minor == min)
      off += (size_t)snprintf(buf + off, len - off, " %s=%llu", key, (unsigned long long)r[i].rate);
  return 0;
}

static int v2_setup(const struct cgroup *cg, const struct resources *r, struct err *e) {
  char d[2048], v[256];
  if (!cg->fake && access(cg->root, F_OK) < 0) return err_set(e, errno, "cgroup v2 root %s", cg->root);
  if (v2_enable(cg, e) < 0) return -1;
  if (xsnprintf(d, sizeof d, "%s%s", cg->root, cg->path) < 0 || mkdir_p(d, 0755) < 0)
    return err_set(e, errno, "mkdir cgroup %s", d);
  if (r->mem_limit != CFG_UNSET) {
    if (r->mem_limit > 0) snprintf(v, sizeof v, "%lld", (long long)r->mem_limit);
    else snprintf(v, sizeof v, "max");
    if (cg_write(cg, d, "memory.max", v, e) < 0) return -1;
  }
  if (r->mem_swap != CFG_UNSET) {
    /* OCI swap is memory+swap; v2 memory.swap.max is swap alone */
    if (r->mem_swap < 0) snprintf(v, sizeof v, "max");
    else if (r->mem_limit > 0 && r->mem_swap >= r->mem_limit) snprintf(v, sizeof v, "%lld", (long long)(r->mem_swap - r->mem_limit));
    else if (r->mem_limit > 0) return err_set(e, EINVAL, "memory swap %lld below limit %lld", (long long)r->mem_swap, (long long)r->mem_limit);
    else snprintf(v, sizeof v, "%lld", (long long)r->mem_swap);
    if (cg_write(cg, d, "memory.swap.max", v, e) < 0) return -1;
  }
  if (r->mem_reservation != CFG_UNSET) {
    snprintf(v, sizeof v, "%lld", (long long)r->mem_reservation);
    if (cg_write(cg, d, "memory.low", v, e) < 0) return -1;
  }
  if (r->cpu_quota != CFG_UNSET || r->cpu_period) {
    unsigned long long period = r->cpu_period ? r->cpu_period : 100000;
    if (r->cpu_quota != CFG_UNSET && r->cpu_quota > 0)
      snprintf(v, sizeof v, "%lld %llu", (long long)r->cpu_quota, period);
    else
      snprintf(v, sizeof v, "max %llu", period);
    if (cg_write(cg, d, "cpu.max", v, e) < 0) return -1;
  }
  if (r->cpu_shares) {
    /* runc ConvertCPUSharesToCgroupV2Value: [2..262144] -> [1..10000] */
    unsigned long long s = r->cpu_shares < 2 ? 2 : r->cpu_shares > 262144 ? 262144 : r->cpu_shares;
    snprintf(v, sizeof v, "%llu", 1 + ((s - 2) * 9999) / 262142);
    if (cg_write(cg, d, "cpu.weight", v, e) < 0) return -1;
  }
  if (r->pids_limit != CFG_UNSET) {
    if (r->pids_limit > 0) snprintf(v, sizeof v, "%lld", (long long)r->pids_limit);
    else snprintf(v, sizeof v, "max");
    if (cg_write(cg, d, "pids.max", v, e) < 0) return -1;
  }
  if (r->blkio_weight) {
    /* [10..1000] -> [1..10000] */
    unsigned w = r->blkio_weight < 10 ? 10 : r->blkio_weight > 1000 ? 1000 : r->blkio_weight;
    snprintf(v, sizeof v, "default %u", 1 + (w - 10) * 9999 / 990);
    if (cg_write(cg, d, "io.weight", v, e) < 0) return -1;
  }
  const struct blk_rate *all[] = {r->rbps, r->wbps, r->riops, r->wiops};
  size_t alln[] = {r->nrbps, r->nwbps, r->nriops, r->nwiops};
  for (int k = 0; k < 4; k++)
    for (size_t i = 0; i < alln[k]; i++) {
      int64_t maj = all[k][i].major, min = all[k][i].minor;
      bool seen = false; /* one io.max line per device */
      for (int k2 = 0; k2 <= k && !seen; k2++)
        for (size_t i2 = 0; i2 < (k2 == k ? i : alln[k2]); i2++)
          if (all[k2][i2].major == maj && all[k2][i2].minor == min) seen = true;
      if (seen) continue;
      snprintf(v, sizeof v, "%lld:%lld", (long long)maj, (long long)min);
      v2_rates(v, sizeof v, "rbps", r->rbps, r->nrbps, maj, min);
      v2_rates(v, sizeof v, "wbps", r->wbps, r->nwbps, maj, min);
      v2_rates(v, sizeof v, "riops", r->riops, r->nriops, maj, min);
      v2_rates(v, sizeof v, "wiops", r->wiops, r->nwiops, maj, min);
      if (cg_write(cg, d, "io.max", v, e) < 0) return -1;
    }
  if (r->cpuset_cpus && cg_write(cg, d, "cpuset.cpus", r->cpuset_cpus, e) < 0) return -1;
  if (r->cpuset_mems && cg_write(cg, d, "cpuset.mems", r->cpuset_mems, e) < 0) return -1;
  if (r->unified) {
    const char *k;
    json_t *jv;
    json_object_foreach(r->unified, k, jv) {
      if (!json_is_string(jv) || strchr(k, '/') || k[0] == '.') return err_set(e, EINVAL, "bad unified key %s", k);
      if (cg_write(cg, d, k, json_string_value(jv), e) < 0) return -1;
    }
  }
  /* devices: cgroup v2 filters devices with BPF programs; the rules are not applied on v2 */
  return 0;
}

static int v2_join(const struct cgroup *cg, pid_t pid, struct err *e) {
  char d[2048], v[32];
  snprintf(v, sizeof v, "%d", (int)pid);
  if (xsnprintf(d, sizeof d, "%s%s", cg->root, cg->path) < 0) return err_set(e, errno, "cgroup path");
  return cg_write(cg, d, "cgroup.procs", v, e);
}

static long long v2_oom(const struct cgroup *cg) {
  char d[2048];
  if (xsnprintf(d, sizeof d, "%s%s/memory.events", cg->root, cg->path) < 0) return -1;
  return counter(d, "oom_kill");
}

static int v2_procs(const struct cgroup *cg, char *buf, size_t len) {
  return xsnprintf(buf, len, "%s%s/cgroup.procs", cg->root, cg->path);
}

static int v2_destroy(const struct cgroup *cg, struct err *e) {
  char d[2048];
  if (xsnprintf(d, sizeof d, "%s%s", cg->root, cg->path) < 0) return err_set(e, errno, "cgroup path");
  if (rmdir_fake(d, cg->fake) < 0) return err_set(e, errno, "rmdir %s", d);
  return 0;
}

static const struct cg_ops v2_ops = {"v2", v2_setup, v2_join, v2_oom, v2_procs, v2_destroy};

int cgroup_init(struct cgroup *cg, const char *cgroups_path, int version, const char *root, bool fake, struct err *e) {
  memset(cg, 0, sizeof *cg);
  if (!version) {
    const char *ev = getenv("TSC_CGROUP_VERSION"), *er = getenv("TSC_CGROUP_ROOT");
    if (er && *er) {
      root = er;
      fake = true;
      version = ev && !strcmp(ev, "2") ? 2 : 1;
    } else {
      struct statfs sfs;
      if (statfs("/sys/fs/cgroup", &sfs) < 0) return err_set(e, errno, "statfs /sys/fs/cgroup");
      version = sfs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
      root = "/sys/fs/cgroup";
    }
  }
  cg->version = version;
  cg->fake = fake;
  cg->ops = version == 2 ? &v2_ops : &v1_ops;
  snprintf(cg->root, sizeof cg->root, "%s", root ? root : "/sys/fs/cgroup");
  if (xsnprintf(cg->path, sizeof cg->path, "%s%s", cgroups_path[0] == '/' ? "" : "/", cgroups_path) < 0)
    return err_set(e, ENAMETOOLONG, "cgroupsPath");
  return 0;
}
