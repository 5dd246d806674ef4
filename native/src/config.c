/* config.c: parse an OCI config.json (libjansson) into struct config. Unknown fields are ignored. */
#include "config.h"
#include "seccomp.h"
#include "caps.h"
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *jstr(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(json_t *o, const char *k, int64_t def) {
  json_t *v = json_object_get(o, k);
  if (json_is_integer(v)) return json_integer_value(v);
  if (json_is_real(v)) return (int64_t)json_real_value(v);
  return def;
}

static int str_array(json_t *arr, const char ***out, size_t *n, const char *what, struct err *e) {
  *out = NULL;
  *n = 0;
  if (!arr || json_is_null(arr)) return 0;
  if (!json_is_array(arr)) return err_set(e, EINVAL, "config.json: %s is not an array", what);
  size_t len = json_array_size(arr);
  *out = calloc(len + 1, sizeof **out);
  if (!*out) return err_set(e, ENOMEM, "config.json");
  for (size_t i = 0; i < len; i++) {
    json_t *s = json_array_get(arr, i);
    if (!json_is_string(s)) return err_set(e, EINVAL, "config.json: %s[%zu] is not a string", what, i);
    (*out)[i] = json_string_value(s);
  }
  *n = len;
  return 0;
}

static const struct {
  const char *name;
  int res;
} rlims[] = {{"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
             {"RLIMIT_STACK", RLIMIT_STACK},   {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
             {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
             {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
             {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
             {"RLIMIT_RTTIME", RLIMIT_RTTIME}};

static int parse_caps_set(json_t *caps, const char *key, uint64_t *out, struct err *e) {
  *out = 0;
  json_t *arr = json_object_get(caps, key);
  if (!arr) return 0;
  if (!json_is_array(arr)) return err_set(e, EINVAL, "config.json: capabilities.%s is not an array", key);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(v);
    int cap = name ? cap_from_name(name) : -1;
    if (cap < 0) return err_set(e, EINVAL, "config.json: unknown capability %s", name ? name : "(non-string)");
    *out |= 1ULL << cap;
  }
  return 0;
}

static int parse_process(struct config *c, json_t *p, struct err *e) {
  if (!json_is_object(p)) return err_set(e, EINVAL, "config.json: process missing");
  c->terminal = json_is_true(json_object_get(p, "terminal"));
  if (str_array(json_object_get(p, "args"), &c->args, &c->nargs, "process.args", e) < 0) return -1;
  if (c->nargs == 0) return err_set(e, EINVAL, "config.json: process.args is empty");
  if (str_array(json_object_get(p, "env"), &c->env, &c->nenv, "process.env", e) < 0) return -1;
  c->cwd = jstr(p, "cwd");
  if (!c->cwd) c->cwd = "/";
  if (c->cwd[0] != '/') return err_set(e, EINVAL, "config.json: process.cwd %s is not absolute", c->cwd);
  json_t *u = json_object_get(p, "user");
  c->umask = CFG_UNSET;
  if (json_is_object(u)) {
    c->uid = (uint32_t)jint(u, "uid", 0);
    c->gid = (uint32_t)jint(u, "gid", 0);
    c->umask = jint(u, "umask", CFG_UNSET);
    json_t *ag = json_object_get(u, "additionalGids");
    if (json_is_array(ag)) {
      c->nagids = json_array_size(ag);
      c->agids = calloc(c->nagids + 1, sizeof *c->agids);
      for (size_t i = 0; i < c->nagids; i++) c->agids[i] = (uint32_t)json_integer_value(json_array_get(ag, i));
    }
  }
  json_t *rl = json_object_get(p, "rlimits");
  if (json_is_array(rl)) {
    c->rlimits = calloc(json_array_size(rl) + 1, sizeof *c->rlimits);
    size_t i;
    json_t *v;
    json_array_foreach(rl, i, v) {
      const char *t = jstr(v, "type");
      int res = -1;
      for (size_t k = 0; t && k < sizeof rlims / sizeof *rlims; k++)
        if (!strcmp(t, rlims[k].name)) res = rlims[k].res;
      if (res < 0) return err_set(e, EINVAL, "config.json: unknown rlimit %s", t ? t : "(none)");
      c->rlimits[c->nrlimits].res = res;
      c->rlimits[c->nrlimits].name = t;
      c->rlimits[c->nrlimits].soft = (uint64_t)jint(v, "soft", 0);
      c->rlimits[c->nrlimits].hard = (uint64_t)jint(v, "hard", 0);
      c->nrlimits++;
    }
  }
  c->nnp = json_is_true(json_object_get(p, "noNewPrivileges"));
  c->oom_score_adj = jint(p, "oomScoreAdj", CFG_UNSET);
  json_t *caps = json_object_get(p, "capabilities");
  if (json_is_object(caps)) {
    c->caps.present = true;
    if (parse_caps_set(caps, "bounding", &c->caps.bounding, e) < 0 ||
        parse_caps_set(caps, "effective", &c->caps.effective, e) < 0 ||
        parse_caps_set(caps, "inheritable", &c->caps.inheritable, e) < 0 ||
        parse_caps_set(caps, "permitted", &c->caps.permitted, e) < 0 ||
        parse_caps_set(caps, "ambient", &c->caps.ambient, e) < 0)
      return -1;
  }
  return 0;
}

static const struct {
  const char *name;
  int flag;
} nstypes[] = {{"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"net", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
               {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"cgroup", CLONE_NEWCGROUP},
               {"user", CLONE_NEWUSER}};

static int parse_rates(json_t *arr, struct blk_rate **out, size_t *n) {
  *n = 0;
  if (!json_is_array(arr)) return 0;
  *out = calloc(json_array_size(arr) + 1, sizeof **out);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    (*out)[*n].major = jint(v, "major", 0);
    (*out)[*n].minor = jint(v, "minor", 0);
    (*out)[*n].rate = (uint64_t)jint(v, "rate", 0);
    (*n)++;
  }
  return 0;
}

static int parse_resources(struct resources *r, json_t *res, struct err *e) {
  r->mem_limit = r->mem_swap = r->mem_reservation = r->cpu_quota = r->pids_limit = CFG_UNSET;
  if (!json_is_object(res)) return 0;
  json_t *m = json_object_get(res, "memory");
  if (json_is_object(m)) {
    r->mem_limit = jint(m, "limit", CFG_UNSET);
    r->mem_swap = jint(m, "swap", CFG_UNSET);
    r->mem_reservation = jint(m, "reservation", CFG_UNSET);
  }
  json_t *cpu = json_object_get(res, "cpu");
  if (json_is_object(cpu)) {
    r->cpu_quota = jint(cpu, "quota", CFG_UNSET);
    r->cpu_period = (uint64_t)jint(cpu, "period", 0);
    r->cpu_shares = (uint64_t)jint(cpu, "shares", 0);
    r->cpuset_cpus = jstr(cpu, "cpus");
    r->cpuset_mems = jstr(cpu, "mems");
  }
  json_t *pids = json_object_get(res, "pids");
  if (json_is_object(pids)) r->pids_limit = jint(pids, "limit", CFG_UNSET);
  json_t *b = json_object_get(res, "blockIO");
  if (json_is_object(b)) {
    r->blkio_weight = (uint16_t)jint(b, "weight", 0);
    parse_rates(json_object_get(b, "throttleReadBpsDevice"), &r->rbps, &r->nrbps);
    parse_rates(json_object_get(b, "throttleWriteBpsDevice"), &r->wbps, &r->nwbps);
    parse_rates(json_object_get(b, "throttleReadIOPSDevice"), &r->riops, &r->nriops);
    parse_rates(json_object_get(b, "throttleWriteIOPSDevice"), &r->wiops, &r->nwiops);
  }
  json_t *d = json_object_get(res, "devices");
  if (json_is_array(d)) {
    r->devs = calloc(json_array_size(d) + 1, sizeof *r->devs);
    size_t i;
    json_t *v;
    json_array_foreach(d, i, v) {
      struct dev_rule *dr = &r->devs[r->ndevs++];
      dr->allow = json_is_true(json_object_get(v, "allow"));
      const char *t = jstr(v, "type");
      dr->type = t && *t ? t[0] : 'a';
      if (dr->type != 'a' && dr->type != 'c' && dr->type != 'b')
        return err_set(e, EINVAL, "config.json: bad device rule type %s", t);
      dr->major = jint(v, "major", -1);
      dr->minor = jint(v, "minor", -1);
      const char *acc = jstr(v, "access");
      snprintf(dr->access, sizeof dr->access, "%s", acc && *acc ? acc : "rwm");
    }
  }
  json_t *u = json_object_get(res, "unified");
  if (json_is_object(u)) r->unified = u;
  return 0;
}


/* An exact "allow TYPE MAJOR:MINOR rwm" among rules[0..n) with no later deny that could match the device. */
static bool dev_allowed_already(const struct dev_rule *rules, size_t n, char type, int64_t major, int64_t minor) {
  for (size_t i = n; i-- > 0;) {
    const struct dev_rule *r = &rules[i];
    bool matches = r->type == 'a' || (r->type == type && (r->major == -1 || r->major == major) && (r->minor == -1 || r->minor == minor));
    if (!matches) continue;
    if (!r->allow) return false;
    if (r->type == type && r->major == major && r->minor == minor && !strcmp(r->access, "rwm")) return true;
  }
  return false;
}

static int parse_linux(struct config *c, json_t *l, struct err *e) {
  if (!json_is_object(l)) return 0;
  json_t *ns = json_object_get(l, "namespaces");
  if (json_is_array(ns)) {
    size_t i;
    json_t *v;
    json_array_foreach(ns, i, v) {
      const char *t = jstr(v, "type");
      int flag = 0;
      for (size_t k = 0; t && k < sizeof nstypes / sizeof *nstypes; k++)
        if (!strcmp(t, nstypes[k].name)) flag = nstypes[k].flag;
      if (!flag) return err_set(e, EINVAL, "config.json: unsupported namespace type %s", t ? t : "(none)");
      if (flag == CLONE_NEWUSER) return err_set(e, ENOTSUP, "config.json: user namespaces are not supported");
      if (c->nns >= sizeof c->ns / sizeof *c->ns) return err_set(e, EINVAL, "config.json: too many namespaces");
      c->ns[c->nns].flag = flag;
      c->ns[c->nns].path = jstr(v, "path");
      if (c->ns[c->nns].path && !*c->ns[c->nns].path) c->ns[c->nns].path = NULL;
      c->nns++;
    }
  }
  if (seccomp_build(json_object_get(l, "seccomp"), &c->seccomp, e) < 0) return -1;
  if (str_array(json_object_get(l, "maskedPaths"), &c->masked, &c->nmasked, "linux.maskedPaths", e) < 0) return -1;
  if (str_array(json_object_get(l, "readonlyPaths"), &c->readonly, &c->nreadonly, "linux.readonlyPaths", e) < 0)
    return -1;
  json_t *sc = json_object_get(l, "sysctl");
  if (json_is_object(sc)) {
    size_t n = json_object_size(sc);
    c->sysctl_keys = calloc(n + 1, sizeof *c->sysctl_keys);
    c->sysctl_vals = calloc(n + 1, sizeof *c->sysctl_vals);
    const char *k;
    json_t *v;
    json_object_foreach(sc, k, v) {
      if (!json_is_string(v)) return err_set(e, EINVAL, "config.json: sysctl %s is not a string", k);
      c->sysctl_keys[c->nsysctl] = k;
      c->sysctl_vals[c->nsysctl++] = json_string_value(v);
    }
  }
  c->cgroups_path = jstr(l, "cgroupsPath");
  if (c->cgroups_path && !*c->cgroups_path) c->cgroups_path = NULL;
  if (c->cgroups_path && strstr(c->cgroups_path, ".."))
    return err_set(e, EINVAL, "config.json: cgroupsPath %s contains ..", c->cgroups_path);
  c->rootfs_propagation = jstr(l, "rootfsPropagation");
  if (parse_resources(&c->res, json_object_get(l, "resources"), e) < 0) return -1;
  json_t *devs = json_object_get(l, "devices");
  if (json_is_array(devs)) {
    c->devices = calloc(json_array_size(devs) + 1, sizeof *c->devices);
    size_t i;
    json_t *v;
    json_array_foreach(devs, i, v) {
      struct dev_node *d = &c->devices[c->ndevices++];
      d->path = jstr(v, "path");
      const char *t = jstr(v, "type");
      if (!d->path || d->path[0] != '/' || !t) return err_set(e, EINVAL, "config.json: bad linux.devices entry");
      d->type = t[0];
      d->major = jint(v, "major", 0);
      d->minor = jint(v, "minor", 0);
      d->mode = (uint32_t)jint(v, "fileMode", 0666);
      d->uid = (uint32_t)jint(v, "uid", 0);
      d->gid = (uint32_t)jint(v, "gid", 0);
    }
  }
  /* like runc: the default devices and linux.devices stay usable whatever the rules say (a default the rules
   * already allow, with no deny after that could touch it, is not written twice: Docker's list has them all) */
  if (c->res.ndevs) {
    static const struct {
      char type;
      int64_t major, minor;
    } defs[] = {{'c', 1, 3}, {'c', 1, 5}, {'c', 1, 7}, {'c', 1, 8}, {'c', 1, 9}, {'c', 5, 0}, {'c', 5, 1}, {'c', 5, 2}, {'c', 136, -1}};
    size_t ndefs = sizeof defs / sizeof *defs;
    struct dev_rule *nr = realloc(c->res.devs, (c->res.ndevs + ndefs + c->ndevices + 1) * sizeof *nr);
    if (!nr) return err_set(e, ENOMEM, "config.json");
    c->res.devs = nr;
    size_t given = c->res.ndevs;
    for (size_t i = 0; i < ndefs + c->ndevices; i++) {
      char type = i < ndefs ? defs[i].type : (c->devices[i - ndefs].type == 'b' ? 'b' : 'c');
      int64_t major = i < ndefs ? defs[i].major : c->devices[i - ndefs].major;
      int64_t minor = i < ndefs ? defs[i].minor : c->devices[i - ndefs].minor;
      if (dev_allowed_already(c->res.devs, given, type, major, minor)) continue;
      struct dev_rule *dr = &c->res.devs[c->res.ndevs++];
      memset(dr, 0, sizeof *dr);
      dr->allow = true;
      dr->type = type;
      dr->major = major;
      dr->minor = minor;
      snprintf(dr->access, sizeof dr->access, "rwm");
    }
  }
  return 0;
}

static int parse_annotations(struct config *c, struct err *e) {
  json_t *a = c->annotations;
  if (!json_is_object(a)) return 0;
  const char *lower = jstr(a, "org.tscompose.rootfs.lower");
  c->upper = jstr(a, "org.tscompose.rootfs.upper");
  c->work = jstr(a, "org.tscompose.rootfs.work");
  const char *vol = jstr(a, "org.tscompose.rootfs.volatile");
  c->volatile_upper = vol && !strcmp(vol, "true");
  const char *init = jstr(a, "org.tscompose.init");
  c->init = init && !strcmp(init, "true");
  c->user_name = jstr(a, "org.tscompose.user");
  if (!lower) return 0;
  if (!c->upper || !c->work)
    return err_set(e, EINVAL, "annotations: org.tscompose.rootfs.lower needs rootfs.upper and rootfs.work");
  json_error_t je;
  json_t *arr = json_loads(lower, 0, &je);
  if (!json_is_array(arr) || json_array_size(arr) == 0) {
    json_decref(arr);
    return err_set(e, EINVAL, "annotations: org.tscompose.rootfs.lower is not a JSON array of paths");
  }
  /* keep the parsed array alive with the document */
  json_object_set_new(c->json, "__tsc_lower", arr);
  if (str_array(arr, &c->lower, &c->nlower, "org.tscompose.rootfs.lower", e) < 0) return -1;
  for (size_t i = 0; i < c->nlower; i++)
    if (c->lower[i][0] != '/') return err_set(e, EINVAL, "annotations: lower layer %s is not absolute", c->lower[i]);
  if (c->upper[0] != '/' || c->work[0] != '/')
    return err_set(e, EINVAL, "annotations: rootfs.upper/work must be absolute");
  return 0;
}

int config_load(struct config *c, const char *bundle, struct err *e) {
  memset(c, 0, sizeof *c);
  c->oom_score_adj = CFG_UNSET;
  c->res.mem_limit = c->res.mem_swap = c->res.mem_reservation = c->res.cpu_quota = c->res.pids_limit = CFG_UNSET;
  c->bundle = bundle;
  char path[4096];
  if (xsnprintf(path, sizeof path, "%s/config.json", bundle) < 0) return err_set(e, errno, "bundle path");
  json_error_t je;
  c->json = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!c->json) {
    if (je.line == -1) return err_set(e, ENOENT, "read %s (%s)", path, je.text);
    return err_set(e, EINVAL, "parse %s:%d: %s", path, je.line, je.text);
  }
  json_t *root = json_object_get(c->json, "root");
  c->root_path = jstr(root, "path");
  if (!c->root_path) return err_set(e, EINVAL, "config.json: root.path missing");
  c->root_ro = json_is_true(json_object_get(root, "readonly"));
  if (c->root_path[0] == '/')
    snprintf(c->root_abs, sizeof c->root_abs, "%s", c->root_path);
  else if (xsnprintf(c->root_abs, sizeof c->root_abs, "%s/%s", bundle, c->root_path) < 0)
    return err_set(e, ENAMETOOLONG, "root.path");
  c->hostname = jstr(c->json, "hostname");
  if (parse_process(c, json_object_get(c->json, "process"), e) < 0) return -1;
  json_t *mounts = json_object_get(c->json, "mounts");
  if (json_is_array(mounts)) {
    c->mounts = calloc(json_array_size(mounts) + 1, sizeof *c->mounts);
    size_t i;
    json_t *v;
    json_array_foreach(mounts, i, v) {
      struct mount_spec *m = &c->mounts[c->nmounts++];
      m->dest = jstr(v, "destination");
      m->type = jstr(v, "type");
      m->source = jstr(v, "source");
      if (!m->dest || m->dest[0] != '/')
        return err_set(e, EINVAL, "config.json: mounts[%zu].destination must be absolute", i);
      if (str_array(json_object_get(v, "options"), &m->options, &m->nopt, "mounts[].options", e) < 0) return -1;
    }
  }
  c->annotations = json_object_get(c->json, "annotations");
  if (parse_linux(c, json_object_get(c->json, "linux"), e) < 0) return -1;
  return parse_annotations(c, e);
}

void config_free(struct config *c) {
  free(c->args);
  free(c->env);
  free(c->agids);
  free(c->rlimits);
  for (size_t i = 0; i < c->nmounts; i++) free(c->mounts[i].options);
  free(c->mounts);
  free(c->masked);
  free(c->readonly);
  free(c->sysctl_keys);
  free(c->sysctl_vals);
  free(c->res.rbps);
  free(c->res.wbps);
  free(c->res.riops);
  free(c->res.wiops);
  free(c->res.devs);
  free(c->devices);
  free(c->lower);
  seccomp_free(c->seccomp);
  if (c->json) json_decref(c->json);
  memset(c, 0, sizeof *c);
}

bool config_has_ns(const struct config *c, int flag) {
  for (size_t i = 0; i < c->nns; i++)
    if (c->ns[i].flag == flag) return true;
  return false;
}

const char *config_ns_path(const struct config *c, int flag) {
  for (size_t i = 0; i < c->nns; i++)
    if (c->ns[i].flag == flag) return c->ns[i].path;
  return NULL;
}
