/* seccomp.c: the OCI `linux.seccomp` section → a libseccomp filter. Built by the runtime before clone (so a bad
 * profile fails `create` with a message), loaded by the container's process just before it gives up its
 * privileges or, with no_new_privs, just after (see container.c). libseccomp's own "set no_new_privs on load"
 * is turned off: no_new_privs is what process.noNewPrivileges says, as with runc. */
#include "seccomp.h"
#include <errno.h>
#include <seccomp.h>
#include <string.h>

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

int seccomp_build(json_t *spec, void **out, struct err *e) {
  *out = NULL;
  if (!json_is_object(spec)) return 0;
  uint32_t def;
  if (action_of(json_string_value(json_object_get(spec, "defaultAction")), json_object_get(spec, "defaultErrnoRet"), EPERM,
                &def, e) < 0)
    return -1;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return err_set(e, ENOMEM, "seccomp_init");
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) goto fail_attr;
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

int seccomp_apply(void *filter, struct err *e) {
  if (!filter) return 0;
  int r = seccomp_load((scmp_filter_ctx)filter);
  if (r < 0) return err_set(e, -r, "load the seccomp filter");
  return 0;
}

void seccomp_free(void *filter) {
  if (filter) seccomp_release((scmp_filter_ctx)filter);
}
