/* caps.c: capability sets and user switch, done in the order that keeps the needed privileges until the end:
 * bounding drop (needs CAP_SETPCAP) -> KEEPCAPS + setgroups/setresgid/setresuid -> capset -> ambient -> nnp. */
#include "caps.h"
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
    "CHOWN",          "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",          "FSETID",     "KILL",
    "SETGID",         "SETUID",         "SETPCAP",         "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST",  "NET_ADMIN",      "NET_RAW",         "IPC_LOCK",        "IPC_OWNER",  "SYS_MODULE",
    "SYS_RAWIO",      "SYS_CHROOT",     "SYS_PTRACE",      "SYS_PACCT",       "SYS_ADMIN",  "SYS_BOOT",
    "SYS_NICE",       "SYS_RESOURCE",   "SYS_TIME",        "SYS_TTY_CONFIG",  "MKNOD",      "LEASE",
    "AUDIT_WRITE",    "AUDIT_CONTROL",  "SETFCAP",         "MAC_OVERRIDE",    "MAC_ADMIN",  "SYSLOG",
    "WAKE_ALARM",     "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",         "BPF",        "CHECKPOINT_RESTORE"};
#define NCAPS ((int)(sizeof cap_names / sizeof *cap_names))

int cap_from_name(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (int i = 0; i < NCAPS; i++)
    if (!strcasecmp(name, cap_names[i])) return i;
  return -1;
}

static int last_cap(void) {
  static int last = -1;
  if (last >= 0) return last;
  char *s = read_file("/proc/sys/kernel/cap_last_cap", NULL);
  last = s ? atoi(s) : NCAPS - 1;
  free(s);
  return last;
}

uint64_t caps_all(void) {
  /* all we hold ourselves: a host (or sandbox) that withholds a capability from root withholds it here too */
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &h, d) < 0) return 0;
  return (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
}

int creds_apply(uint32_t uid, uint32_t gid, const uint32_t *groups, size_t ngroups, const struct caps_spec *caps,
                bool nnp, struct err *e) {
  int last = last_cap();
  if (caps && caps->present) {
    for (int c = 0; c <= last; c++) {
      if (caps->bounding & (1ULL << c)) continue;
      if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        return err_set(e, errno, "drop capability %d from the bounding set", c);
    }
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return err_set(e, errno, "prctl(KEEPCAPS)");
  gid_t gl[256];
  if (ngroups > 256) return err_set(e, EINVAL, "too many additional groups");
  for (size_t i = 0; i < ngroups; i++) gl[i] = groups[i];
  if (setgroups(ngroups, gl) < 0) return err_set(e, errno, "setgroups");
  if (setresgid(gid, gid, gid) < 0) return err_set(e, errno, "setgid %u", gid);
  if (setresuid(uid, uid, uid) < 0) return err_set(e, errno, "setuid %u", uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return err_set(e, errno, "prctl(KEEPCAPS)");
  if (caps && caps->present) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    d[0].effective = (uint32_t)caps->effective;
    d[1].effective = (uint32_t)(caps->effective >> 32);
    d[0].permitted = (uint32_t)caps->permitted;
    d[1].permitted = (uint32_t)(caps->permitted >> 32);
    d[0].inheritable = (uint32_t)caps->inheritable;
    d[1].inheritable = (uint32_t)(caps->inheritable >> 32);
    if (syscall(SYS_capset, &h, d) < 0) return err_set(e, errno, "capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
      return err_set(e, errno, "clear ambient capabilities");
    for (int c = 0; c <= last; c++)
      if ((caps->ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        return err_set(e, errno, "raise ambient capability %d", c);
  }
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return err_set(e, errno, "prctl(NO_NEW_PRIVS)");
  return 0;
}
