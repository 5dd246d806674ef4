/* seccomp.c: the OCI `linux.seccomp` section → a BPF program. Built by the runtime before clone (so a bad
 * profile fails `create` with a message), loaded by the container's process just before it gives up its
 * privileges or, with no_new_privs, just after (see container.c); no_new_privs is what
 * process.noNewPrivileges says, as with runc. libseccomp compiles a profile like Docker's (400 syscalls x 3
 * arches) in tens of ms, so the compiled program is cached per profile under the state root
 * (<root>/.seccomp/<fnv64>.bpf, holding the exact profile text it was made from, compared on use). */
#include "seccomp.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *seccomp_cache_dir;

struct bpf_prog {
  struct sock_fprog prog;
};

static const struct {
  const char *name;
  uint32_t arch;
} arches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},         {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},   {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},         {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64}, {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},     {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct {
  const char *name;
  enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static int action_of(const char *a, json_t *errno_ret, int def_errno, uint32_t *out, struct err *e) {
  int ret = json_is_integer(errno_ret) ? (int)json_integer_value(errno_ret) : def_errno;
  if (!a) return err_set(e, EINVAL, "config.json: linux.seccomp: missing action");
  if (!strcmp(a, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(a, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint16_t)ret);
  else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL;
  else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(a, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(a, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint16_t)ret);
  else if (!strcmp(a, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else return err_set(e, EINVAL, "config.json: linux.seccomp: unsupported action %s", a);
  return 0;
}

static int add_rule(scmp_filter_ctx ctx, json_t *rule, uint32_t def_action, struct err *e) {
  uint32_t act;
  if (action_of(json_string_value(json_object_get(rule, "action")), json_object_get(rule, "errnoRet"), EPERM, &act, e) < 0)
    return -1;
  if (act == def_action) return 0; /* libseccomp refuses a rule that equals the default */
  struct scmp_arg_cmp cmp[6];
  unsigned ncmp = 0;
  json_t *args = json_object_get(rule, "args"), *a;
  size_t i;
  json_array_foreach(args, i, a) {
    if (ncmp >= 6) return err_set(e, EINVAL, "config.json: linux.seccomp: more than 6 argument conditions");
    const char *op = json_string_value(json_object_get(a, "op"));
    size_t k = 0;
    while (k < sizeof ops / sizeof *ops && (!op || strcmp(op, ops[k].name))) k++;
    if (k == sizeof ops / sizeof *ops) return err_set(e, EINVAL, "config.json: linux.seccomp: bad op %s", op ? op : "(none)");
    cmp[ncmp++] = (struct scmp_arg_cmp){.arg = (unsigned)json_integer_value(json_object_get(a, "index")),
                                        .op = ops[k].op,
                                        .datum_a = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
                                        .datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo"))};
  }
  json_t *names = json_object_get(rule, "names"), *n;
  json_array_foreach(names, i, n) {
    const char *name = json_string_value(n);
    int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
    if (nr == __NR_SCMP_ERROR) continue; /* unknown to this libseccomp/arch: skipped, as runc does */
    int r = seccomp_rule_add_array(ctx, act, nr, ncmp, cmp);
    /* -EEXIST: the same rule twice; -EDOM/-EOPNOTSUPP: not expressible on one of the extra arches */
    if (r < 0 && r != -EEXIST && r != -EDOM && r != -EOPNOTSUPP)
      return err_set(e, -r, "config.json: linux.seccomp: rule for %s", name);
  }
  return 0;
}

static int compile_ctx(json_t *spec, scmp_filter_ctx *out, struct err *e) {
  uint32_t def;
  if (action_of(json_string_value(json_object_get(spec, "defaultAction")), json_object_get(spec, "defaultErrnoRet"), EPERM,
                &def, e) < 0)
    return -1;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return err_set(e, ENOMEM, "seccomp_init");
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) goto fail_attr;
  /* a binary tree of syscall numbers instead of libseccomp's linear list: the kernel emulates the filter
   * for every syscall number of every arch at load (its allow-cache), so Docker's profile loads in ~1.0 ms of
   * CPU instead of ~1.5 here (and a filtered syscall runs ~log n compares); same verdicts. Best effort. */
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  json_t *ar = json_object_get(spec, "architectures"), *v;
  size_t i;
  json_array_foreach(ar, i, v) {
    const char *name = json_string_value(v);
    size_t k = 0;
    while (k < sizeof arches / sizeof *arches && (!name || strcmp(name, arches[k].name))) k++;
    if (k == sizeof arches / sizeof *arches) continue; /* an arch this build does not know: not ours anyway */
    int r = seccomp_arch_add(ctx, arches[k].arch);
    if (r < 0 && r != -EEXIST) {
      seccomp_release(ctx);
      return err_set(e, -r, "config.json: linux.seccomp: architecture %s", name);
    }
  }
  json_t *rules = json_object_get(spec, "syscalls");
  json_array_foreach(rules, i, v) {
    if (add_rule(ctx, v, def, e) < 0) {
      seccomp_release(ctx);
      return -1;
    }
  }
  *out = ctx;
  return 0;
fail_attr:
  seccomp_release(ctx);
  return err_set(e, EINVAL, "seccomp: cannot clear the no_new_privs attribute");
}

static uint64_t fnv64(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return h;
}

/* cache file: u32 text length, the profile text, then the sock_filter array */
static struct bpf_prog *from_cache(const char *path, const char *text, size_t tlen) {
  size_t n;
  char *buf = read_file(path, &n);
  uint32_t l;
  if (!buf || n < 4 || (memcpy(&l, buf, 4), l != tlen) || n < 4 + tlen || memcmp(buf + 4, text, tlen) ||
      (n - 4 - tlen) % sizeof(struct sock_filter) || n == 4 + tlen) {
    free(buf);
    return NULL;
  }
  struct bpf_prog *b = malloc(sizeof *b);
  size_t len = n - 4 - tlen;
  b->prog.len = (unsigned short)(len / sizeof(struct sock_filter));
  b->prog.filter = malloc(len);
  memcpy(b->prog.filter, buf + 4 + tlen, len);
  free(buf);
  return b;
}

static struct bpf_prog *export_prog(scmp_filter_ctx ctx, struct err *e) {
  int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return err_set(e, errno, "memfd_create"), NULL;
  int r = seccomp_export_bpf(ctx, fd);
  off_t len = lseek(fd, 0, SEEK_END);
  if (r < 0 || len <= 0 || len % (off_t)sizeof(struct sock_filter) || len / (off_t)sizeof(struct sock_filter) > 0xffff) {
    close(fd);
    return err_set(e, r < 0 ? -r : EINVAL, "compile the seccomp filter"), NULL;
  }
  struct bpf_prog *b = malloc(sizeof *b);
  b->prog.len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
  b->prog.filter = malloc((size_t)len);
  if (pread(fd, b->prog.filter, (size_t)len, 0) != len) {
    close(fd);
    seccomp_free(b);
    return err_set(e, EIO, "read the seccomp filter"), NULL;
  }
  close(fd);
  return b;
}

static void to_cache(const char *path, const char *text, size_t tlen, const struct bpf_prog *b) {
  if (mkdir_p(seccomp_cache_dir, 0700) < 0) return;
  size_t plen = b->prog.len * sizeof(struct sock_filter), n = 4 + tlen + plen;
  char *buf = malloc(n);
  uint32_t l = (uint32_t)tlen;
  memcpy(buf, &l, 4);
  memcpy(buf + 4, text, tlen);
  memcpy(buf + 4 + tlen, b->prog.filter, plen);
  struct err ignored;
  atomic_write(path, buf, n, &ignored); /* best effort: a cache */
  free(buf);
}

int seccomp_build(json_t *spec, void **out, struct err *e) {
  *out = NULL;
  if (!json_is_object(spec)) return 0;
  char *dump = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
  if (!dump) return err_set(e, ENOMEM, "linux.seccomp");
  /* the cache key and text name the compile options too: a program cached by an older build (linear) is not
   * taken for a tree */
  char *text = NULL;
  int tl = asprintf(&text, "btree2:%s", dump);
  free(dump);
  if (tl < 0) return err_set(e, ENOMEM, "linux.seccomp");
  size_t tlen = strlen(text);
  char path[4200] = "";
  if (seccomp_cache_dir)
    snprintf(path, sizeof path, "%s/%016llx.bpf", seccomp_cache_dir, (unsigned long long)fnv64(text, tlen));
  struct bpf_prog *b = path[0] ? from_cache(path, text, tlen) : NULL;
  /* a miss: one compile per profile, not one per container when a fresh cache meets an `up` of many
   * (the others wait on the lock, then read what the first wrote); released when we exit, whatever happens */
  _cleanup_close_ int lock = -1;
  if (!b && path[0] && mkdir_p(seccomp_cache_dir, 0700) == 0) {
    char lp[4300];
    snprintf(lp, sizeof lp, "%s/.lock", seccomp_cache_dir);
    lock = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock >= 0) {
      while (flock(lock, LOCK_EX) < 0 && errno == EINTR) {
      }
      b = from_cache(path, text, tlen);
    }
  }
  if (!b) {
    scmp_filter_ctx ctx = NULL;
    if (compile_ctx(spec, &ctx, e) < 0) {
      free(text);
      return -1;
    }
    b = export_prog(ctx, e);
    seccomp_release(ctx);
    if (b && path[0]) to_cache(path, text, tlen, b);
  }
  free(text);
  if (!b) return -1;
  *out = b;
  return 0;
}

int seccomp_apply(void *filter, struct err *e) {
  if (!filter) return 0;
  struct bpf_prog *b = filter;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &b->prog) < 0) return err_set(e, errno, "load the seccomp filter");
  return 0;
}

void seccomp_free(void *filter) {
  struct bpf_prog *b = filter;
  if (!b) return;
  free(b->prog.filter);
  free(b);
}
