/* state.c: atomic state files; a pid is trusted only together with its start time from /proc/PID/stat. */
#include "state.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int state_dir_path(char *buf, size_t len, const char *root, const char *id) {
  return xsnprintf(buf, len, "%s/%s", root, id);
}

bool state_pid_alive(const struct cstate *s) {
  return s->pid > 0 && s->pid_start && proc_start_time(s->pid) == s->pid_start;
}

bool state_shim_alive(const struct cstate *s) {
  return s->shim_pid > 0 && s->shim_start && proc_start_time(s->shim_pid) == s->shim_start;
}

static json_t *load_json(const char *dir, const char *name) {
  char p[4200];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return json_load_file(p, 0, NULL);
}

int state_load(struct cstate *s, const char *root, const char *id, struct err *e) {
  memset(s, 0, sizeof *s);
  s->id = id;
  if (state_dir_path(s->dir, sizeof s->dir, root, id) < 0) return err_set(e, ENAMETOOLONG, "container id");
  s->json = load_json(s->dir, "state.json");
  if (!s->json) {
    struct stat st;
    if (stat(s->dir, &st) == 0) {
      /* the directory exists but create has not finished (or failed) */
      s->json = json_pack("{s:s,s:s}", "ociVersion", "1.0.2", "id", id);
      s->status = "creating";
      return 0;
    }
    return err_set(e, ENOENT, "container %s does not exist", id);
  }
  s->pid = (pid_t)json_integer_value(json_object_get(s->json, "pid"));
  s->shim_pid = (pid_t)json_integer_value(json_object_get(s->json, "shimPid"));
  s->pid_start = (unsigned long long)json_integer_value(json_object_get(s->json, "pidStartTime"));
  s->shim_start = (unsigned long long)json_integer_value(json_object_get(s->json, "shimStartTime"));
  s->exit = load_json(s->dir, "exit.json");
  /* PID 1 gone but its shim still alive: the shim is draining logs and about to write exit.json */
  for (int i = 0; !s->exit && i < 300 && !state_pid_alive(s) && state_shim_alive(s); i++) {
    usleep(10000);
    s->exit = load_json(s->dir, "exit.json");
  }
  /* the shim may have written exit.json and exited between our last read and its liveness check */
  if (!s->exit && !state_pid_alive(s)) s->exit = load_json(s->dir, "exit.json");
  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/start", s->dir);
  if (s->exit)
    s->status = "stopped";
  else if (!state_pid_alive(s))
    s->status = "stopped";
  else if (access(fifo, F_OK) == 0)
    s->status = "created";
  else
    s->status = "running";
  return 0;
}

void state_free(struct cstate *s) {
  if (s->json) json_decref(s->json);
  if (s->exit) json_decref(s->exit);
  s->json = s->exit = NULL;
}

int state_save(const char *dir, json_t *j, struct err *e) {
  char p[4200];
  snprintf(p, sizeof p, "%s/state.json", dir);
  char *txt = json_dumps(j, JSON_COMPACT);
  if (!txt) return err_set(e, ENOMEM, "encode state");
  int r = atomic_write(p, txt, strlen(txt), e);
  free(txt);
  return r;
}

json_t *state_render(const struct cstate *s) {
  json_t *o = json_object();
  const char *keep[] = {"ociVersion", "id", "pid", "bundle", "annotations", "shimPid", "createdAt", "startedAt", "logPath"};
  for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
    json_t *v = json_object_get(s->json, keep[i]);
    if (v) json_object_set(o, keep[i], v);
  }
  json_object_set_new(o, "status", json_string(s->status));
  if (!strcmp(s->status, "stopped")) {
    json_object_set_new(o, "pid", json_integer(0));
    const char *ek[] = {"exitCode", "signal", "oomKilled", "finishedAt"};
    for (size_t i = 0; i < 4; i++) {
      json_t *v = s->exit ? json_object_get(s->exit, ek[i]) : NULL;
      json_object_set(o, ek[i], v ? v : json_null());
    }
  }
  return o;
}

int state_remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -1;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) unlinkat(dirfd(d), de->d_name, 0);
  closedir(d);
  return rmdir(dir) < 0 && errno != ENOENT ? -1 : 0;
}

int write_exit_json(const char *dir, int code, int sig, bool oom, struct err *e) {
  char ts[64], buf[256], p[4200];
  iso_now(ts, sizeof ts);
  char signame[48] = "null";
  if (sig) snprintf(signame, sizeof signame, "\"%s\"", signal_name(sig));
  int n = snprintf(buf, sizeof buf, "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n", code,
                   signame, oom ? "true" : "false", ts);
  snprintf(p, sizeof p, "%s/exit.json", dir);
  return atomic_write(p, buf, (size_t)n, e);
}
