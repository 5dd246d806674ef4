/* user.c: minimal /etc/passwd and /etc/group parsing (no NSS: the container's files, not the host's). */
#include "user.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool numeric(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

/* Find a line of a colon file whose field 0 == name (or field 2 == id when name is NULL). fields[] point into line. */
static bool find_entry(const char *file, const char *name, long id, char *line, size_t len, char **fields, int nf) {
  FILE *f = fopen(file, "re");
  if (!f) return false;
  bool found = false;
  while (fgets(line, (int)len, f)) {
    line[strcspn(line, "\n")] = 0;
    int n = 0;
    char *p = line;
    while (n < nf) {
      fields[n++] = p;
      char *c = strchr(p, ':');
      if (!c) break;
      *c = 0;
      p = c + 1;
    }
    if (n < 3) continue;
    if ((name && !strcmp(fields[0], name)) || (!name && numeric(fields[2]) && atol(fields[2]) == id)) {
      for (int i = n; i < nf; i++) fields[i] = "";
      found = true;
      break;
    }
  }
  fclose(f);
  return found;
}

void user_home(uint32_t uid, char *buf, size_t len) {
  char line[1024], *f[7];
  if (find_entry("/etc/passwd", NULL, uid, line, sizeof line, f, 7) && *f[5])
    snprintf(buf, len, "%s", f[5]);
  else
    snprintf(buf, len, "/");
}

static void member_groups(const char *uname, struct user_ids *u) {
  FILE *f = fopen("/etc/group", "re");
  if (!f) return;
  char line[2048];
  while (fgets(line, sizeof line, f) && u->ngroups < sizeof u->groups / sizeof *u->groups) {
    line[strcspn(line, "\n")] = 0;
    char *name = line, *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    if (!c3) continue;
    *c2 = 0;
    (void)name;
    long gid = atol(c2 + 1);
    for (char *tok = strtok(c3 + 1, ","); tok; tok = strtok(NULL, ","))
      if (!strcmp(tok, uname) && (uint32_t)gid != u->gid) u->groups[u->ngroups++] = (uint32_t)gid;
  }
  fclose(f);
}

int user_resolve(const char *spec, struct user_ids *u, struct err *e) {
  char buf[256], line[1024], *f[7];
  memset(u, 0, sizeof *u);
  snprintf(buf, sizeof buf, "%s", spec);
  char *grp = strchr(buf, ':');
  if (grp) *grp++ = 0;
  const char *uname = NULL;
  if (numeric(buf)) {
    u->uid = (uint32_t)strtoul(buf, NULL, 10);
    if (find_entry("/etc/passwd", NULL, u->uid, line, sizeof line, f, 7)) {
      u->gid = (uint32_t)strtoul(f[3], NULL, 10);
      snprintf(u->home, sizeof u->home, "%s", *f[5] ? f[5] : "/");
      uname = f[0];
    } else {
      u->gid = u->uid ? u->uid : 0;
      snprintf(u->home, sizeof u->home, "/");
    }
  } else {
    if (!*buf || !find_entry("/etc/passwd", buf, 0, line, sizeof line, f, 7))
      return err_set(e, 0, "invalid user %s: no such user in the container's /etc/passwd", buf);
    u->uid = (uint32_t)strtoul(f[2], NULL, 10);
    u->gid = (uint32_t)strtoul(f[3], NULL, 10);
    snprintf(u->home, sizeof u->home, "%s", *f[5] ? f[5] : "/");
    uname = f[0];
  }
  char uname_copy[128] = "";
  if (uname) snprintf(uname_copy, sizeof uname_copy, "%s", uname);
  if (grp) {
    if (numeric(grp)) {
      u->gid = (uint32_t)strtoul(grp, NULL, 10);
    } else {
      char gl[1024], *gf[4];
      if (!find_entry("/etc/group", grp, 0, gl, sizeof gl, gf, 4))
        return err_set(e, 0, "invalid group %s: no such group in the container's /etc/group", grp);
      u->gid = (uint32_t)strtoul(gf[2], NULL, 10);
    }
  }
  u->groups[u->ngroups++] = u->gid; /* like initgroups(3): the primary group is a supplementary group too */
  if (*uname_copy) member_groups(uname_copy, u);
  return 0;
}
