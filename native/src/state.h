/* state.h: the state directory <root>/<id>/ (state.json, exit.json, start FIFO) and the derived status. */
#ifndef TSC_STATE_H
#define TSC_STATE_H
#include "util.h"
#include <jansson.h>

struct cstate {
  json_t *json;             /* state.json as written at create (+ startedAt) */
  char dir[4096];
  const char *id;
  pid_t pid, shim_pid;
  unsigned long long pid_start, shim_start;
  const char *status;       /* creating|created|running|stopped (derived) */
  json_t *exit;             /* exit.json or NULL */
};

int state_dir_path(char *buf, size_t len, const char *root, const char *id);
int state_load(struct cstate *s, const char *root, const char *id, struct err *e);
void state_free(struct cstate *s);
/* pid still the container's PID 1 (same start time) */
bool state_pid_alive(const struct cstate *s);
bool state_shim_alive(const struct cstate *s);
int state_save(const char *dir, json_t *j, struct err *e);
/* JSON of the `state` verb (new reference) */
json_t *state_render(const struct cstate *s);
int state_remove_dir(const char *dir);
int write_exit_json(const char *dir, int code, int sig, bool oom, struct err *e);
#endif
