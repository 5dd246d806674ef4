// tsc-lb: the load balancer's TCP data path, one process per LoadBalancer (src/network/lb/balancer.ts).
//
//   tsc-lb [--threads N] [--connect-timeout MS] [--fail-backoff MS] [--replay BYTES] [--parent PID]
//
// N data threads, each with its own epoll and its own SO_REUSEPORT socket per listener (the kernel spreads
// connections over them). A connection: accept4 -> pick a backend (round-robin or least-connections) ->
// non-blocking connect -> read/write both ways (a per-thread scratch buffer; bytes are copied into the
// connection only when the other side pushes back, so idle connections cost no buffer), EPOLLOUT for
// back-pressure, half-close forwarded with shutdown(SHUT_WR). Until the backend's first byte the client's
// bytes are kept (up to --replay): a backend that refuses, times out or closes without answering is skipped
// for --fail-backoff (connect failures) and the next one gets the same bytes.
//
// Control: one JSON object per line on stdin, one reply per line on stdout, matched by "id":
//   {"id":1,"op":"listen","lid":K,"host":"127.0.0.1","port":P,"pool":NAME} -> {"id":1,"port":P}
//   {"id":2,"op":"unlisten","lid":K}                                      -> {"id":2}
//   {"id":3,"op":"pool","pool":NAME,"strategy":"round-robin|least-connections","backends":[{"id","host","port"}]}
//   {"id":4,"op":"drain","backend":ID,"deadlineMs":MS}                    -> {"id":4,"reset":N} (when drained)
//   {"id":5,"op":"stats"}                          -> {"id":5,"active":{ID:N},"total":{ID:N}}
//   errors: {"id":N,"error":"message","code":"CONFLICT|NETWORK"}
// The control thread (main) applies changes under one mutex held only for small copies; pickers take it
// once per new backend connection. Per-thread state (connections, listener sockets) is only touched by its
// thread: the control thread posts commands (unlisten, reset) to a thread's queue and waits for the ack.
// tsc-lb dies with its parent (PR_SET_PDEATHSIG) and when its stdin closes, so no port outlives the supervisor.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SCRATCH (64 * 1024)
#define MAX_TRIED 64
#define MAX_THREADS 16

static int nthreads = 2;
static int connect_timeout_ms = 2000;
static int fail_backoff_ms = 1000;
static size_t replay_bytes = 65536;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fputs("tsc-lb: out of memory\n", stderr);
    _exit(1);
  }
  return p;
}

// ---- shared state (guarded by mu) -----------------------------------------------------------------------

// Per backend id, across pools. Never freed: pointers to it stay valid in connections and snapshots.
struct bstat {
  char *id;
  int active;
  uint64_t total;
  uint64_t down_until;
  int draining;
  struct bstat *next;
};

struct bend {
  struct bstat *st;
  struct sockaddr_in addr;
};

struct pool {
  char *name;
  int lc; // least-connections
  struct bend *v;
  int n;
  unsigned rr;
  struct pool *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct bstat *bstats;
static struct pool *pools;
static int ctl_evfd; // written when a draining backend's last connection closes

static struct bstat *bstat_get(const char *id) { // under mu
  for (struct bstat *b = bstats; b; b = b->next)
    if (!strcmp(b->id, id)) return b;
  struct bstat *b = xmalloc(sizeof *b);
  memset(b, 0, sizeof *b);
  b->id = strdup(id);
  b->next = bstats;
  bstats = b;
  return b;
}

static struct pool *pool_get(const char *name) { // under mu
  for (struct pool *p = pools; p; p = p->next)
    if (!strcmp(p->name, name)) return p;
  struct pool *p = xmalloc(sizeof *p);
  memset(p, 0, sizeof *p);
  p->name = strdup(name);
  p->next = pools;
  pools = p;
  return p;
}

static void release_backend(struct bstat *b, int failed) { // under mu
  if (failed) b->down_until = now_ms() + (uint64_t)fail_backoff_ms;
  if (--b->active == 0 && b->draining) {
    uint64_t one = 1;
    if (write(ctl_evfd, &one, sizeof one) < 0) { /* counter saturated: the control thread wakes anyway */
    }
  }
}

// Same rules as picker.ts: skip tried and draining backends, prefer ones not in back-off, round-robin or
// fewest open connections (ties round-robin); a backend in back-off only when nothing else is left.
static int pick(struct pool *p, struct bstat *const *tried, int ntried, uint64_t now, struct bend *out) { // under mu
  int n = p->n;
  struct bend *fallback = NULL, *best = NULL;
  for (int i = 0; i < n; i++) {
    struct bend *b = &p->v[(p->rr + (unsigned)i) % (unsigned)n];
    if (b->st->draining) continue;
    int seen = 0;
    for (int k = 0; k < ntried && !seen; k++) seen = tried[k] == b->st;
    if (seen) continue;
    if (b->st->down_until > now) {
      if (!fallback) fallback = b;
      continue;
    }
    if (!p->lc) {
      best = b;
      break;
    }
    if (!best || b->st->active < best->st->active) best = b;
  }
  if (best) p->rr = (unsigned)(best - p->v + 1) % (unsigned)n;
  else best = fallback;
  if (!best) return 0;
  *out = *best;
  best->st->active++;
  best->st->total++;
  return 1;
}

// ---- per-thread data path -------------------------------------------------------------------------------

enum { K_LISTEN, K_CLIENT, K_UP, K_CMD };

struct ep {
  int kind;
  struct conn *c;
};

struct lsock {
  struct ep ep;
  int fd;
  struct pool *pool;
};

struct half {
  struct ep ep;
  int fd;
  uint32_t want;   // events registered in epoll
  int added;       // registered in epoll at all
  char *pend;      // bytes read from the other side, not yet written to this fd
  size_t plen, poff;
  int eof_in;      // read EOF from this fd
  int shut_out;    // shutdown(SHUT_WR) done on this fd
};

struct conn {
  struct half cl, up;
  struct pool *pool;
  struct bstat *be; // backend of the current upstream (holds one `active`)
  int connecting, answered, keep, dead;
  uint64_t deadline, skip_up_iter;
  char *kept;
  size_t klen;
  struct bstat *tried[MAX_TRIED];
  int ntried;
  struct conn *prev, *next;   // all connections of the thread
  struct conn *cprev, *cnext; // connecting, in deadline order
};

enum { CMD_UNLISTEN, CMD_RESET };
struct cmd {
  int op;
  void *arg;
  int result;
  sem_t done;
  struct cmd *next;
};

struct thr {
  int epfd;
  struct ep cmd_ep;
  int evfd;
  pthread_t tid;
  pthread_mutex_t qmu;
  struct cmd *qhead, *qtail;
  struct conn *conns;
  struct conn *chead, *ctail;
  struct conn *grave;
  uint64_t iter;
  char scratch[SCRATCH];
};

static struct thr *threads[MAX_THREADS];

static void set_want(struct thr *t, struct half *h, uint32_t want) {
  if (h->fd < 0) return;
  // Nothing wanted: out of epoll. EPOLLHUP is reported whatever the mask, and it comes as soon as the peer's
  // FIN arrived after our own, with its data still unread: level-triggered, it would spin or end us early.
  if (!want || (h->eof_in && h->shut_out)) {
    if (h->added) epoll_ctl(t->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    h->added = 0;
    h->want = 0;
    return;
  }
  if (h->added && h->want == want) return;
  struct epoll_event ev = {.events = want, .data.ptr = &h->ep};
  epoll_ctl(t->epfd, h->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, h->fd, &ev);
  h->want = want;
  h->added = 1;
}

// Interest follows state: read a side only when the other side has no backlog and it has not ended.
static void update(struct thr *t, struct conn *c) {
  if (c->dead) return;
  // not read while connecting: early bytes wait in the kernel (and are kept once read, for a retry)
  set_want(t, &c->cl, (!c->connecting && !c->cl.eof_in && !c->up.plen ? EPOLLIN : 0) | (c->cl.plen ? EPOLLOUT : 0));
  if (c->connecting) set_want(t, &c->up, EPOLLOUT);
  else set_want(t, &c->up, (!c->up.eof_in && !c->cl.plen ? EPOLLIN : 0) | (c->up.plen ? EPOLLOUT : 0));
}

static void connecting_unlink(struct thr *t, struct conn *c) {
  if (!c->connecting) return;
  if (c->cprev) c->cprev->cnext = c->cnext;
  else t->chead = c->cnext;
  if (c->cnext) c->cnext->cprev = c->cprev;
  else t->ctail = c->cprev;
  c->cprev = c->cnext = NULL;
  c->connecting = 0;
}

static void drop_upstream(struct thr *t, struct conn *c, int failed, int rst) {
  connecting_unlink(t, c);
  if (c->up.fd >= 0) {
    if (rst) setsockopt(c->up.fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
    close(c->up.fd);
  }
  c->up.fd = -1;
  free(c->up.pend);
  c->up.pend = NULL;
  c->up.plen = c->up.poff = 0;
  c->up.eof_in = c->up.shut_out = 0;
  c->up.want = 0;
  c->up.added = 0;
  if (c->be) {
    pthread_mutex_lock(&mu);
    release_backend(c->be, failed);
    pthread_mutex_unlock(&mu);
    c->be = NULL;
  }
}

// Close the connection: rst_client resets the client (its backend failed after answering, or a drain).
static void finish(struct thr *t, struct conn *c, int rst_client, int rst_up) {
  if (c->dead) return;
  drop_upstream(t, c, 0, rst_up);
  if (rst_client) setsockopt(c->cl.fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
  close(c->cl.fd);
  free(c->cl.pend);
  free(c->kept);
  c->kept = NULL;
  c->dead = 1;
  if (c->prev) c->prev->next = c->next;
  else t->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->next = t->grave; // freed after this batch of events: later events of the batch may still name it
  t->grave = c;
}

static int write_all(int fd, const char *buf, size_t n, size_t *wrote) {
  size_t off = 0;
  while (off < n) {
    ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      *wrote = off;
      return -1;
    }
    off += (size_t)w;
  }
  *wrote = off;
  return 0;
}

// Write to h (pending bytes go first); what does not fit is copied into h->pend.
static int deliver(struct half *h, const char *buf, size_t n) {
  size_t w = 0;
  if (!h->plen && write_all(h->fd, buf, n, &w) < 0) return -1;
  if (w < n) {
    size_t rest = n - w;
    char *p = xmalloc(h->plen - h->poff + rest);
    if (h->plen) memcpy(p, h->pend + h->poff, h->plen - h->poff);
    memcpy(p + (h->plen - h->poff), buf + w, rest);
    size_t len = h->plen - h->poff + rest;
    free(h->pend);
    h->pend = p;
    h->plen = len;
    h->poff = 0;
  }
  return 0;
}

static void start_connect(struct thr *t, struct conn *c);
static void pump(struct thr *t, struct conn *c, struct half *src, struct half *dst);

static int can_retry(struct conn *c) { return !c->answered && c->keep && c->ntried < MAX_TRIED; }

// The upstream failed before answering: next backend with the kept bytes, or give up.
static void upstream_failed(struct thr *t, struct conn *c, int connect_failed) {
  drop_upstream(t, c, connect_failed, 0);
  c->skip_up_iter = t->iter; // later events of this batch were for the old socket
  if (can_retry(c)) start_connect(t, c);
  else finish(t, c, 1, 0);
}

static void maybe_shut(struct half *from, struct half *to) {
  if (from->eof_in && !to->plen && !to->shut_out && to->fd >= 0) {
    shutdown(to->fd, SHUT_WR);
    to->shut_out = 1;
  }
}

static void maybe_done(struct thr *t, struct conn *c) {
  if (c->cl.eof_in && c->up.eof_in && c->cl.shut_out && c->up.shut_out) finish(t, c, 0, 0);
}

static void on_connected(struct thr *t, struct conn *c) {
  connecting_unlink(t, c);
  if (c->klen && deliver(&c->up, c->kept, c->klen) < 0) {
    upstream_failed(t, c, 0);
    return;
  }
  maybe_shut(&c->cl, &c->up);
  update(t, c);
  // the request usually arrived while we connected: read it now rather than after another epoll_wait
  if (!c->dead && (c->cl.want & EPOLLIN)) {
    pump(t, c, &c->cl, &c->up);
    update(t, c);
  }
}

static void start_connect(struct thr *t, struct conn *c) {
  for (;;) {
    struct bend b;
    pthread_mutex_lock(&mu);
    int ok = pick(c->pool, c->tried, c->ntried, now_ms(), &b);
    pthread_mutex_unlock(&mu);
    if (!ok) {
      finish(t, c, 0, 0);
      return;
    }
    c->be = b.st;
    c->tried[c->ntried++] = b.st;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      drop_upstream(t, c, 0, 0);
      finish(t, c, 1, 0);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->up.fd = fd;
    int r = connect(fd, (struct sockaddr *)&b.addr, sizeof b.addr);
    if (r < 0 && errno != EINPROGRESS) {
      drop_upstream(t, c, 1, 0);
      if (can_retry(c)) continue;
      finish(t, c, 1, 0);
      return;
    }
    c->connecting = 1;
    c->deadline = now_ms() + (uint64_t)connect_timeout_ms;
    c->cprev = t->ctail;
    c->cnext = NULL;
    if (t->ctail) t->ctail->cnext = c;
    else t->chead = c;
    t->ctail = c;
    set_want(t, &c->up, EPOLLOUT);
    if (r == 0) on_connected(t, c);
    else update(t, c);
    return;
  }
}

static void on_accept(struct thr *t, struct lsock *l) {
  for (int i = 0; i < 64; i++) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; // EAGAIN, or a transient error (EMFILE...) retried on the next event
    // TCP_NODELAY is inherited from the listening socket
    struct conn *c = xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->cl.ep = (struct ep){K_CLIENT, c};
    c->up.ep = (struct ep){K_UP, c};
    c->cl.fd = fd;
    c->up.fd = -1;
    c->pool = l->pool;
    c->keep = replay_bytes > 0;
    c->skip_up_iter = UINT64_MAX;
    c->next = t->conns;
    if (t->conns) t->conns->prev = c;
    t->conns = c;
    start_connect(t, c);
  }
}

// Read from src and forward to dst.
static void pump(struct thr *t, struct conn *c, struct half *src, struct half *dst) {
  for (int round = 0; round < 8; round++) {
    ssize_t n = recv(src->fd, t->scratch, SCRATCH, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      if (src == &c->up && can_retry(c)) upstream_failed(t, c, 0);
      else finish(t, c, src == &c->up, src == &c->cl);
      return;
    }
    if (n == 0) {
      src->eof_in = 1;
      if (src == &c->up && can_retry(c)) {
        upstream_failed(t, c, 0); // closed without answering (e.g. killed): replay on the next one
        return;
      }
      maybe_shut(src, dst);
      maybe_done(t, c);
      return;
    }
    if (src == &c->up && !c->answered) {
      c->answered = 1;
      free(c->kept);
      c->kept = NULL;
      c->klen = 0;
      c->keep = 0;
    } else if (src == &c->cl && c->keep) {
      if (c->klen + (size_t)n > replay_bytes) {
        c->keep = 0;
        free(c->kept);
        c->kept = NULL;
        c->klen = 0;
      } else {
        char *k = realloc(c->kept, c->klen + (size_t)n);
        if (!k) _exit(1);
        memcpy(k + c->klen, t->scratch, (size_t)n);
        c->kept = k;
        c->klen += (size_t)n;
      }
    }
    if (deliver(dst, t->scratch, (size_t)n) < 0) {
      if (dst == &c->up && can_retry(c)) upstream_failed(t, c, 0);
      else finish(t, c, dst == &c->up, dst == &c->cl);
      return;
    }
    if (dst->plen || n < SCRATCH) return;
  }
}

static void flush(struct thr *t, struct conn *c, struct half *h, struct half *from) {
  size_t w = 0;
  if (write_all(h->fd, h->pend + h->poff, h->plen - h->poff, &w) < 0) {
    if (h == &c->up && can_retry(c)) upstream_failed(t, c, 0);
    else finish(t, c, h == &c->up, h == &c->cl);
    return;
  }
  h->poff += w;
  if (h->poff == h->plen) {
    free(h->pend);
    h->pend = NULL;
    h->plen = h->poff = 0;
    maybe_shut(from, h);
    maybe_done(t, c);
  }
}

static void on_event(struct thr *t, struct ep *e, uint32_t ev) {
  struct conn *c = e->c;
  if (c->dead) return;
  if (e->kind == K_UP) {
    if (c->skip_up_iter == t->iter) return;
    if (c->connecting) {
      int err = 0;
      socklen_t l = sizeof err;
      getsockopt(c->up.fd, SOL_SOCKET, SO_ERROR, &err, &l);
      if (err || (ev & (EPOLLERR | EPOLLHUP))) upstream_failed(t, c, 1);
      else if (ev & EPOLLOUT) on_connected(t, c);
      return;
    }
    if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && c->up.plen) flush(t, c, &c->up, &c->cl);
    if (!c->dead && c->skip_up_iter != t->iter && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (c->up.want & EPOLLIN)) pump(t, c, &c->up, &c->cl);
  } else {
    if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && c->cl.plen) flush(t, c, &c->cl, &c->up);
    if (!c->dead && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (c->cl.want & EPOLLIN)) pump(t, c, &c->cl, &c->up);
  }
  update(t, c);
}

static void post(struct thr *t, struct cmd *m) {
  sem_init(&m->done, 0, 0);
  m->next = NULL;
  pthread_mutex_lock(&t->qmu);
  if (t->qtail) t->qtail->next = m;
  else t->qhead = m;
  t->qtail = m;
  pthread_mutex_unlock(&t->qmu);
  uint64_t one = 1;
  if (write(t->evfd, &one, sizeof one) < 0) { /* already signalled */
  }
  while (sem_wait(&m->done) < 0 && errno == EINTR) {
  }
  sem_destroy(&m->done);
}

static void run_commands(struct thr *t) {
  uint64_t v;
  if (read(t->evfd, &v, sizeof v) < 0) { /* nothing pending */
  }
  for (;;) {
    pthread_mutex_lock(&t->qmu);
    struct cmd *m = t->qhead;
    if (m) {
      t->qhead = m->next;
      if (!t->qhead) t->qtail = NULL;
    }
    pthread_mutex_unlock(&t->qmu);
    if (!m) return;
    if (m->op == CMD_UNLISTEN) {
      struct lsock *l = m->arg;
      epoll_ctl(t->epfd, EPOLL_CTL_DEL, l->fd, NULL);
      close(l->fd);
      free(l);
    } else if (m->op == CMD_RESET) {
      int n = 0;
      for (struct conn *c = t->conns, *nx; c; c = nx) {
        nx = c->next;
        if (c->be == m->arg) {
          finish(t, c, 1, 1);
          n++;
        }
      }
      m->result = n;
    }
    sem_post(&m->done);
  }
}

static void *thread_main(void *arg) {
  struct thr *t = arg;
  struct epoll_event evs[256];
  for (;;) {
    int timeout = -1;
    if (t->chead) {
      uint64_t now = now_ms();
      timeout = t->chead->deadline <= now ? 0 : (int)(t->chead->deadline - now);
    }
    int n = epoll_wait(t->epfd, evs, 256, timeout);
    if (n < 0 && errno != EINTR) {
      perror("tsc-lb: epoll_wait");
      _exit(1);
    }
    t->iter++;
    int cmds = 0;
    for (int i = 0; i < n; i++) {
      struct ep *e = evs[i].data.ptr;
      if (e->kind == K_LISTEN) on_accept(t, (struct lsock *)e);
      else if (e->kind == K_CMD) cmds = 1;
      else on_event(t, e, evs[i].events);
    }
    // connect timeouts: deadlines are now + a constant, so the list is in deadline order
    uint64_t now = now_ms();
    while (t->chead && t->chead->deadline <= now) upstream_failed(t, t->chead, 1);
    if (cmds) run_commands(t);
    while (t->grave) {
      struct conn *c = t->grave;
      t->grave = c->next;
      free(c);
    }
  }
  return NULL;
}

// ---- control (main thread) ------------------------------------------------------------------------------

struct listener {
  char *lid;
  struct lsock *socks[MAX_THREADS];
  struct listener *next;
};
static struct listener *listeners;

struct drain {
  json_int_t rid;
  struct bstat *b;
  uint64_t deadline;
  struct drain *next;
};
static struct drain *drains;

static void reply(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s) return;
  size_t n = strlen(s);
  s[n] = '\n'; // json_dumps leaves room for the terminator: overwrite it, write n + 1
  size_t off = 0;
  while (off < n + 1) {
    ssize_t w = write(1, s + off, n + 1 - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0); // the parent is gone
    }
    off += (size_t)w;
  }
  free(s);
}

static void reply_error(json_int_t rid, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reply_error(json_int_t rid, const char *code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  reply(json_pack("{sI ss ss}", "id", rid, "error", msg, "code", code));
}

static int listen_sock(struct sockaddr_in *a, int *err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)a, sizeof *a) < 0 || listen(fd, 1024) < 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

static void op_listen(json_int_t rid, json_t *m) {
  const char *lid = json_string_value(json_object_get(m, "lid"));
  const char *host = json_string_value(json_object_get(m, "host"));
  const char *pname = json_string_value(json_object_get(m, "pool"));
  json_int_t port = json_integer_value(json_object_get(m, "port"));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (!lid || !host || !pname || port < 0 || port > 65535 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    reply_error(rid, "NETWORK", "listen: bad request (listen address must be IPv4)");
    return;
  }
  for (struct listener *l = listeners; l; l = l->next)
    if (!strcmp(l->lid, lid)) {
      reply(json_pack("{sI sI}", "id", rid, "port", port));
      return;
    }
  int fds[MAX_THREADS];
  int err = 0;
  for (int i = 0; i < nthreads; i++) {
    fds[i] = listen_sock(&a, &err);
    if (fds[i] < 0) {
      for (int k = 0; k < i; k++) close(fds[k]);
      if (err == EADDRINUSE) reply_error(rid, "CONFLICT", "port %s:%d is already in use", host, (int)port);
      else reply_error(rid, "NETWORK", "cannot listen on %s:%d: %s", host, (int)port, strerror(err));
      return;
    }
    if (i == 0 && port == 0) { // every thread's socket on the port the first one got
      socklen_t len = sizeof a;
      getsockname(fds[0], (struct sockaddr *)&a, &len);
      port = ntohs(a.sin_port);
    }
  }
  pthread_mutex_lock(&mu);
  struct pool *p = pool_get(pname);
  pthread_mutex_unlock(&mu);
  struct listener *l = xmalloc(sizeof *l);
  memset(l, 0, sizeof *l);
  l->lid = strdup(lid);
  for (int i = 0; i < nthreads; i++) {
    struct lsock *s = xmalloc(sizeof *s);
    s->ep = (struct ep){K_LISTEN, NULL};
    s->fd = fds[i];
    s->pool = p;
    l->socks[i] = s;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->ep};
    epoll_ctl(threads[i]->epfd, EPOLL_CTL_ADD, fds[i], &ev);
  }
  l->next = listeners;
  listeners = l;
  reply(json_pack("{sI sI}", "id", rid, "port", port));
}

static void op_unlisten(json_int_t rid, json_t *m) {
  const char *lid = json_string_value(json_object_get(m, "lid"));
  for (struct listener **pl = &listeners; lid && *pl; pl = &(*pl)->next) {
    struct listener *l = *pl;
    if (strcmp(l->lid, lid)) continue;
    *pl = l->next;
    for (int i = 0; i < nthreads; i++) {
      struct cmd c = {.op = CMD_UNLISTEN, .arg = l->socks[i]};
      post(threads[i], &c);
    }
    free(l->lid);
    free(l);
    break;
  }
  reply(json_pack("{sI}", "id", rid));
}

static void op_pool(json_int_t rid, json_t *m) {
  const char *pname = json_string_value(json_object_get(m, "pool"));
  const char *strategy = json_string_value(json_object_get(m, "strategy"));
  json_t *bs = json_object_get(m, "backends");
  if (!pname || !json_is_array(bs)) {
    reply_error(rid, "NETWORK", "pool: bad request");
    return;
  }
  size_t n = json_array_size(bs);
  struct bend *v = xmalloc(sizeof *v * (n ? n : 1));
  const char *ids[n ? n : 1];
  for (size_t i = 0; i < n; i++) {
    json_t *b = json_array_get(bs, i);
    const char *host = json_string_value(json_object_get(b, "host"));
    ids[i] = json_string_value(json_object_get(b, "id"));
    memset(&v[i].addr, 0, sizeof v[i].addr);
    v[i].addr.sin_family = AF_INET;
    v[i].addr.sin_port = htons((uint16_t)json_integer_value(json_object_get(b, "port")));
    if (!ids[i] || !host || inet_pton(AF_INET, host, &v[i].addr.sin_addr) != 1) {
      free(v);
      reply_error(rid, "NETWORK", "pool: backend %zu: needs id, IPv4 host, port", i);
      return;
    }
  }
  pthread_mutex_lock(&mu);
  struct pool *p = pool_get(pname);
  for (size_t i = 0; i < n; i++) {
    v[i].st = bstat_get(ids[i]);
    v[i].st->draining = 0; // back in a rotation: a replica that was drained and is used again
  }
  struct bend *old = p->v;
  p->v = v;
  p->n = (int)n;
  p->lc = strategy && !strcmp(strategy, "least-connections");
  if (n) p->rr %= (unsigned)n;
  pthread_mutex_unlock(&mu);
  free(old); // pickers copy what they pick under mu: nobody holds the old array
  reply(json_pack("{sI}", "id", rid));
}

static void reset_backend(struct drain *d) {
  int n = 0;
  for (int i = 0; i < nthreads; i++) {
    struct cmd c = {.op = CMD_RESET, .arg = d->b};
    post(threads[i], &c);
    n += c.result;
  }
  reply(json_pack("{sI si}", "id", d->rid, "reset", n));
}

static void op_drain(json_int_t rid, json_t *m) {
  const char *id = json_string_value(json_object_get(m, "backend"));
  json_int_t ms = json_integer_value(json_object_get(m, "deadlineMs"));
  if (!id) {
    reply_error(rid, "NETWORK", "drain: bad request");
    return;
  }
  pthread_mutex_lock(&mu);
  struct bstat *b = bstat_get(id);
  b->draining = 1;
  for (struct pool *p = pools; p; p = p->next) { // out of every rotation
    int k = 0;
    for (int i = 0; i < p->n; i++)
      if (p->v[i].st != b) p->v[k++] = p->v[i];
    p->n = k;
    if (k) p->rr %= (unsigned)k;
  }
  int active = b->active;
  pthread_mutex_unlock(&mu);
  if (!active) {
    reply(json_pack("{sI si}", "id", rid, "reset", 0));
    return;
  }
  struct drain *d = xmalloc(sizeof *d);
  d->rid = rid;
  d->b = b;
  d->deadline = now_ms() + (uint64_t)(ms > 0 ? ms : 0);
  d->next = drains;
  drains = d;
}

static void op_stats(json_int_t rid) {
  json_t *active = json_object(), *total = json_object();
  pthread_mutex_lock(&mu);
  for (struct bstat *b = bstats; b; b = b->next) {
    if (b->active) json_object_set_new(active, b->id, json_integer(b->active));
    if (b->total) json_object_set_new(total, b->id, json_integer((json_int_t)b->total));
  }
  pthread_mutex_unlock(&mu);
  reply(json_pack("{sI so so}", "id", rid, "active", active, "total", total));
}

static void check_drains(void) {
  uint64_t now = now_ms();
  for (struct drain **pd = &drains; *pd;) {
    struct drain *d = *pd;
    pthread_mutex_lock(&mu);
    int active = d->b->active;
    pthread_mutex_unlock(&mu);
    if (active && d->deadline > now) {
      pd = &d->next;
      continue;
    }
    *pd = d->next;
    if (active) reset_backend(d);
    else reply(json_pack("{sI si}", "id", d->rid, "reset", 0));
    free(d);
  }
}

static void handle_line(const char *line) {
  json_error_t je;
  json_t *m = json_loads(line, 0, &je);
  if (!m) {
    fprintf(stderr, "tsc-lb: bad control line: %s\n", je.text);
    return;
  }
  json_int_t rid = json_integer_value(json_object_get(m, "id"));
  const char *op = json_string_value(json_object_get(m, "op"));
  if (!op) reply_error(rid, "NETWORK", "missing op");
  else if (!strcmp(op, "listen")) op_listen(rid, m);
  else if (!strcmp(op, "unlisten")) op_unlisten(rid, m);
  else if (!strcmp(op, "pool")) op_pool(rid, m);
  else if (!strcmp(op, "drain")) op_drain(rid, m);
  else if (!strcmp(op, "stats")) op_stats(rid);
  else reply_error(rid, "NETWORK", "unknown op %s", op);
  json_decref(m);
}

static int arg_int(const char *s, long lo, long hi) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < lo || v > hi) {
    fprintf(stderr, "tsc-lb: bad number: %s\n", s);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char **argv) {
  long parent = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) nthreads = arg_int(argv[i + 1], 1, MAX_THREADS);
    else if (!strcmp(argv[i], "--connect-timeout")) connect_timeout_ms = arg_int(argv[i + 1], 1, 3600000);
    else if (!strcmp(argv[i], "--fail-backoff")) fail_backoff_ms = arg_int(argv[i + 1], 0, 3600000);
    else if (!strcmp(argv[i], "--replay")) replay_bytes = (size_t)arg_int(argv[i + 1], 0, 64 << 20);
    else if (!strcmp(argv[i], "--parent")) parent = arg_int(argv[i + 1], 1, 1 << 30);
    else {
      fprintf(stderr, "usage: tsc-lb [--threads N] [--connect-timeout MS] [--fail-backoff MS] [--replay BYTES] [--parent PID]\n");
      return 2;
    }
  }
  // hold no descriptor but our stdio: an inherited pipe (e.g. the CLI's readiness pipe of the supervisor)
  // would otherwise stay open as long as the LB lives
  close_range(3, ~0U, 0);
  // die with the supervisor: a SIGKILLed parent must not leave its ports held
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent && getppid() != parent) return 1;
  signal(SIGPIPE, SIG_IGN);
  ctl_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ctl_evfd < 0) {
    perror("tsc-lb: eventfd");
    return 1;
  }
  for (int i = 0; i < nthreads; i++) {
    struct thr *t = xmalloc(sizeof *t);
    memset(t, 0, offsetof(struct thr, scratch));
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->epfd < 0 || t->evfd < 0) {
      perror("tsc-lb: epoll");
      return 1;
    }
    pthread_mutex_init(&t->qmu, NULL);
    t->cmd_ep = (struct ep){K_CMD, NULL};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->cmd_ep};
    epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->evfd, &ev);
    threads[i] = t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&t->tid, &at, thread_main, t)) {
      fputs("tsc-lb: pthread_create failed\n", stderr);
      return 1;
    }
    pthread_attr_destroy(&at);
  }
  reply(json_pack("{si}", "ready", 1));
  size_t cap = 65536, len = 0;
  char *buf = xmalloc(cap);
  for (;;) {
    int timeout = -1;
    uint64_t now = now_ms();
    for (struct drain *d = drains; d; d = d->next) {
      int left = d->deadline <= now ? 0 : (int)(d->deadline - now);
      if (timeout < 0 || left < timeout) timeout = left;
    }
    struct pollfd pf[2] = {{.fd = 0, .events = POLLIN}, {.fd = ctl_evfd, .events = POLLIN}};
    int r = poll(pf, 2, timeout);
    if (r < 0 && errno != EINTR) return 1;
    if (pf[1].revents) {
      uint64_t v;
      if (read(ctl_evfd, &v, sizeof v) < 0) { /* spurious */
      }
    }
    if (pf[0].revents) {
      if (len == cap) buf = realloc(buf, cap *= 2);
      if (!buf) return 1;
      ssize_t n = read(0, buf + len, cap - len);
      if (n <= 0 && !(n < 0 && errno == EINTR)) return 0; // stdin closed: the LoadBalancer closed or its process died
      if (n > 0) len += (size_t)n;
      char *nl;
      size_t start = 0;
      while ((nl = memchr(buf + start, '\n', len - start))) {
        *nl = 0;
        if (nl > buf + start) handle_line(buf + start);
        start = (size_t)(nl - buf) + 1;
      }
      memmove(buf, buf + start, len - start);
      len -= start;
    }
    check_drains();
  }
}
