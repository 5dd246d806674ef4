// tsc-net: container network setup over rtnetlink, and the project's nftables rules through libnftables.
// One-shot verbs (a process per call) or `serve` (one long-lived process per supervisor, a request per line):
// a supervisor pays no fork/exec, no `ip` and no `nft` process per step.
//
//   tsc-net attach NETNS_PATH [--link HOSTIF,BRIDGE,IFACE,ADDR/PREFIX]... [--gw ADDR]
//       Creates the persistent netns at NETNS_PATH (unshare + bind mount, like `ip netns add`), then per
//       --link a veth pair: HOSTIF in the host netns, enslaved to BRIDGE and up; its peer IFACE created
//       directly in the netns with MAC 02:42 + the address's 4 bytes. Inside the netns: the address on
//       IFACE, IFACE up, lo up, and a default route via --gw when given. On any failure everything made so
//       far is removed.
//   tsc-net detach [NETNS_PATH | LINK]...
//       Deletes the host-side links (veths, bridges; if still there) and the netns mount + file of one or
//       more containers (arguments starting with '/' are netns paths). Missing things are fine. All links
//       go in ONE kernel batch (put into a random link group, then one RTM_DELLINK of the group): deleting
//       links one by one costs an RCU grace period each (~30 ms on a loaded host).
//   tsc-net setup [--bridge NAME,MAC,ADDR/PREFIX]... [--addr NAME,ADDR/PREFIX]...
//       Creates bridges (fixed MAC, address, up) and puts further addresses on links (replace: idempotent).
//   tsc-net nft             (script on stdin)   runs an `nft -f` script in-process (libnftables, dlopen'd).
//   tsc-net nftdel TABLE...
//       Deletes `inet` tables (missing ones are fine) in one nf_tables transaction over raw netlink: no
//       ruleset cache to fetch and parse, as `nft delete table` would (20-50 ms the first time).
//   tsc-net serve
//       Reads requests from stdin: "ID VERB ARG..." per line (arguments without spaces), for nft
//       "ID nft LEN" followed by LEN bytes of script; answers "ID STATUS MESSAGE" per request, in order
//       (STATUS 0 ok, 1 failed, 2 usage, 3 libnftables missing). Exits at EOF on stdin (its parent died or
//       closed it), after finishing the request in hand: a request is never cut in the middle.
//
// Exit codes: 0 ok, 1 failure (one line on stderr: "tsc-net: <verb>: <what>: <strerror>"), 2 usage,
// 3 libnftables missing (nft).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TSC_MAX_LINKS 16
#define TSC_MAX_ARGS 4096

struct link {
  char host[IFNAMSIZ], bridge[IFNAMSIZ], iface[IFNAMSIZ];
  struct in_addr addr;
  int prefix;
};

struct req {
  union {
    struct nlmsghdr n;
    char buf[4096];
  };
};

static const char *verb = "?";
static int seq;
// the first failure of the request in hand ("tsc-net: verb: what: strerror"); printed or sent back
static char errmsg[1024];
static int hostns = -1;

static int fail(const char *what, int err) {
  if (!errmsg[0]) snprintf(errmsg, sizeof errmsg, "tsc-net: %s: %s: %s", verb, what, strerror(err));
  return -1;
}

static void addattr(struct nlmsghdr *n, int type, const void *data, int len) {
  struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct rtattr *nest(struct nlmsghdr *n, int type) {
  struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  addattr(n, type, NULL, 0);
  return rta;
}

static void endnest(struct nlmsghdr *n, struct rtattr *r) { r->rta_len = (char *)n + NLMSG_ALIGN(n->nlmsg_len) - (char *)r; }

static int nlsock(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

// Sends one request and waits for its ACK; returns 0 or -errno.
static int talk(int fd, struct nlmsghdr *n) {
  n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  n->nlmsg_seq = ++seq;
  if (send(fd, n, n->nlmsg_len, 0) < 0) return -errno;
  char buf[8192];
  for (;;) {
    int len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != (unsigned)seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static void linkmsg(struct req *r, int type, int flags) {
  memset(r, 0, sizeof *r);
  r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r->n.nlmsg_type = type;
  r->n.nlmsg_flags = flags;
  ((struct ifinfomsg *)NLMSG_DATA(&r->n))->ifi_family = AF_UNSPEC;
}

static int link_up(int fd, int ifindex) {
  struct req r;
  linkmsg(&r, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return talk(fd, &r.n);
}

static int link_del(int fd, const char *name) {
  struct req r;
  linkmsg(&r, RTM_DELLINK, 0);
  addattr(&r.n, IFLA_IFNAME, name, strlen(name) + 1);
  return talk(fd, &r.n);
}

static int link_group(int fd, const char *name, unsigned group) {
  struct req r;
  linkmsg(&r, RTM_NEWLINK, 0);
  addattr(&r.n, IFLA_IFNAME, name, strlen(name) + 1);
  addattr(&r.n, IFLA_GROUP, &group, 4);
  return talk(fd, &r.n);
}

static int group_del(int fd, unsigned group) {
  struct req r;
  linkmsg(&r, RTM_DELLINK, 0);
  addattr(&r.n, IFLA_GROUP, &group, 4);
  return talk(fd, &r.n);
}

// 02:42 + the IPv4 address's 4 bytes (as Docker's bridge driver): when an address is reused, neighbours'
// ARP caches still point at the right MAC instead of black-holing traffic until the entry is probed away.
static void mac_for(struct in_addr a, unsigned char mac[6]) {
  mac[0] = 0x02;
  mac[1] = 0x42;
  memcpy(mac + 2, &a.s_addr, 4);
}

static int veth_add(int fd, const struct link *l, int brindex, int nsfd) {
  struct req r;
  linkmsg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  addattr(&r.n, IFLA_IFNAME, l->host, strlen(l->host) + 1);
  addattr(&r.n, IFLA_MASTER, &brindex, 4);
  struct rtattr *li = nest(&r.n, IFLA_LINKINFO);
  addattr(&r.n, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = nest(&r.n, IFLA_INFO_DATA);
  struct rtattr *peer = nest(&r.n, VETH_INFO_PEER);
  r.n.nlmsg_len += sizeof(struct ifinfomsg); // the peer's (zeroed) ifinfomsg
  addattr(&r.n, IFLA_IFNAME, l->iface, strlen(l->iface) + 1);
  unsigned char mac[6];
  mac_for(l->addr, mac);
  addattr(&r.n, IFLA_ADDRESS, mac, 6);
  addattr(&r.n, IFLA_NET_NS_FD, &nsfd, 4);
  endnest(&r.n, peer);
  endnest(&r.n, data);
  endnest(&r.n, li);
  return talk(fd, &r.n);
}

static int bridge_add(int fd, const char *name, const unsigned char mac[6]) {
  struct req r;
  linkmsg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  addattr(&r.n, IFLA_IFNAME, name, strlen(name) + 1);
  addattr(&r.n, IFLA_ADDRESS, mac, 6);
  struct rtattr *li = nest(&r.n, IFLA_LINKINFO);
  addattr(&r.n, IFLA_INFO_KIND, "bridge", 6);
  endnest(&r.n, li);
  return talk(fd, &r.n);
}

// replace: an address that is already there is fine (idempotent adoption)
static int addr_add(int fd, int ifindex, struct in_addr a, int prefix, int replace) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  r.n.nlmsg_type = RTM_NEWADDR;
  r.n.nlmsg_flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  struct ifaddrmsg *ifa = NLMSG_DATA(&r.n);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_index = ifindex;
  addattr(&r.n, IFA_LOCAL, &a, 4);
  addattr(&r.n, IFA_ADDRESS, &a, 4);
  if (prefix < 31) {
    struct in_addr brd = {.s_addr = a.s_addr | htonl(prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix))};
    addattr(&r.n, IFA_BROADCAST, &brd, 4);
  }
  return talk(fd, &r.n);
}

static int route_default(int fd, struct in_addr gw) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  r.n.nlmsg_type = RTM_NEWROUTE;
  r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct rtmsg *rt = NLMSG_DATA(&r.n);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  addattr(&r.n, RTA_GATEWAY, &gw, 4);
  return talk(fd, &r.n);
}

static void netns_remove(const char *path) {
  umount2(path, MNT_DETACH);
  unlink(path);
}

// Back in the host netns, or this process must not go on (a later request would run in a container's).
static void host_netns(void) {
  if (setns(hostns, CLONE_NEWNET) < 0) {
    fprintf(stderr, "tsc-net: cannot return to the host network namespace: %s\n", strerror(errno));
    _exit(1);
  }
}

static int parse_cidr(char *s, struct in_addr *a, int *prefix) {
  char *slash = strchr(s, '/');
  if (!slash) return -1;
  *slash = 0;
  char *end;
  long p = strtol(slash + 1, &end, 10);
  int ok = *end == 0 && p >= 1 && p <= 32 && inet_pton(AF_INET, s, a) == 1;
  *slash = '/';
  *prefix = (int)p;
  return ok ? 0 : -1;
}

// Splits "a,b,c" into exactly n fields (in place).
static int fields(char *s, char **f, int n) {
  for (int i = 0; i < n; i++) {
    f[i] = strsep(&s, ",");
    if (!f[i] || !*f[i]) return -1;
  }
  return s ? -1 : 0;
}

static int ifname_ok(const char *s) { return strlen(s) < IFNAMSIZ; }

static int parse_link(char *s, struct link *l) {
  char *f[4];
  if (fields(s, f, 4) < 0 || !ifname_ok(f[0]) || !ifname_ok(f[1]) || !ifname_ok(f[2])) return -1;
  strcpy(l->host, f[0]);
  strcpy(l->bridge, f[1]);
  strcpy(l->iface, f[2]);
  return parse_cidr(f[3], &l->addr, &l->prefix);
}

static int do_attach(const char *path, struct link *links, int nlinks, const struct in_addr *gw) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *sl = strrchr(dir, '/');
  if (sl && sl != dir) {
    *sl = 0;
    mkdir(dir, 0755);
  }
  int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (f < 0) return fail(path, errno);
  close(f);
  if (unshare(CLONE_NEWNET) < 0) {
    int e = errno;
    unlink(path);
    return fail("unshare(CLONE_NEWNET)", e);
  }
  if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) {
    int e = errno;
    host_netns();
    unlink(path);
    return fail("bind netns", e);
  }
  host_netns();
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    int e = errno;
    netns_remove(path);
    return fail("reopen netns", e);
  }
  int hfd = nlsock();
  if (hfd < 0) {
    close(nsfd);
    netns_remove(path);
    return fail("netlink socket", -hfd);
  }
  int made = 0, e = 0;
  char what[128] = "";
  for (; made < nlinks; made++) {
    int br = if_nametoindex(links[made].bridge);
    if (!br) {
      e = ENODEV;
      snprintf(what, sizeof what, "bridge %s", links[made].bridge);
      break;
    }
    if ((e = -veth_add(hfd, &links[made], br, nsfd))) {
      snprintf(what, sizeof what, "veth %s", links[made].host);
      break;
    }
  }
  if (!e) {
    // inside the netns: addresses, links up, default route
    if (setns(nsfd, CLONE_NEWNET) < 0) {
      e = errno;
      snprintf(what, sizeof what, "setns");
    } else {
      int nfd = nlsock();
      if (nfd < 0) {
        e = -nfd;
        snprintf(what, sizeof what, "netlink socket in netns");
      }
      for (int i = 0; !e && i < nlinks; i++) {
        int idx = if_nametoindex(links[i].iface);
        if (!idx) e = errno;
        else if (!(e = -addr_add(nfd, idx, links[i].addr, links[i].prefix, 0))) e = -link_up(nfd, idx);
        if (e) snprintf(what, sizeof what, "address on %s", links[i].iface);
      }
      if (!e && (e = -link_up(nfd, 1))) snprintf(what, sizeof what, "lo up");
      if (!e && gw && (e = -route_default(nfd, *gw))) snprintf(what, sizeof what, "default route");
      if (nfd >= 0) close(nfd);
      host_netns();
    }
  }
  if (e) {
    for (int i = 0; i < made; i++) link_del(hfd, links[i].host);
    netns_remove(path);
  }
  close(hfd);
  close(nsfd);
  return e ? fail(what, e) : 0;
}

static int do_detach(char **args, int n) {
  int hfd = nlsock();
  if (hfd < 0) return fail("netlink socket", -hfd);
  int rc = 0, grouped = 0;
  unsigned group = 0;
  // a random group of our own (high bit set; 0 is everybody's default group), so that one RTM_DELLINK
  // takes exactly these links
  while (!group) {
    if (getrandom(&group, sizeof group, 0) != sizeof group) group = (unsigned)getpid() * 2654435761u ^ (unsigned)seq;
    group |= 0x80000000u;
  }
  for (int i = 0; i < n; i++) {
    if (args[i][0] == '/') continue;
    if (!ifname_ok(args[i])) {
      rc = fail(args[i], EINVAL);
      continue;
    }
    int e = -link_group(hfd, args[i], group);
    if (!e) grouped++;
    else if (e != ENODEV) rc = fail(args[i], e);
  }
  if (grouped) {
    int e = -group_del(hfd, group);
    if (e && e != ENODEV) {
      // cannot happen on a current kernel; one by one then
      for (int i = 0; i < n; i++) {
        if (args[i][0] == '/') continue;
        int e2 = -link_del(hfd, args[i]);
        if (e2 && e2 != ENODEV) rc = fail(args[i], e2);
      }
    }
  }
  // the netns after their veths: nothing in them needs the kernel's (asynchronous) namespace cleanup then
  for (int i = 0; i < n; i++) {
    if (args[i][0] != '/') continue;
    if (umount2(args[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) rc = fail("umount netns", errno);
    if (unlink(args[i]) < 0 && errno != ENOENT) rc = fail("unlink netns", errno);
  }
  close(hfd);
  return rc;
}

static int do_setup(char **args, int n) {
  int hfd = nlsock();
  if (hfd < 0) return fail("netlink socket", -hfd);
  int rc = 0;
  for (int i = 0; i + 1 < n && !rc; i += 2) {
    char *f[3];
    char what[96];
    struct in_addr a;
    int prefix;
    int bridge = !strcmp(args[i], "--bridge");
    if (fields(args[i + 1], f, bridge ? 3 : 2) < 0 || !ifname_ok(f[0]) || parse_cidr(f[bridge ? 2 : 1], &a, &prefix) < 0) {
      rc = fail(args[i + 1], EINVAL);
      break;
    }
    if (bridge) {
      unsigned char mac[6];
      if (sscanf(f[1], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
        rc = fail(f[1], EINVAL);
        break;
      }
      int e = -bridge_add(hfd, f[0], mac);
      if (e) {
        snprintf(what, sizeof what, "bridge %s", f[0]);
        rc = fail(what, e);
        break;
      }
    }
    int idx = if_nametoindex(f[0]);
    int e = idx ? -addr_add(hfd, idx, a, prefix, !bridge) : errno;
    if (e) {
      snprintf(what, sizeof what, "address %s on %s", f[bridge ? 2 : 1], f[0]);
      rc = fail(what, e);
    }
  }
  close(hfd);
  return rc;
}

// ------------------------------------------------------------------------------------------------ nft
// libnftables is the library `nft` itself is; dlopen'd so that only its runtime package is needed.
struct nft_ctx;
static struct {
  int tried;
  struct nft_ctx *ctx;
  int (*run)(struct nft_ctx *, const char *);
  const char *(*errbuf)(struct nft_ctx *);
  const char *(*outbuf)(struct nft_ctx *);
  void (*dry_run)(struct nft_ctx *, int);
} nft;

static int nft_load(void) {
  if (nft.tried) return nft.ctx ? 0 : -1;
  nft.tried = 1;
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) return -1;
  struct nft_ctx *(*ctx_new)(unsigned) = (struct nft_ctx * (*)(unsigned)) dlsym(h, "nft_ctx_new");
  int (*buf_out)(struct nft_ctx *) = (int (*)(struct nft_ctx *))dlsym(h, "nft_ctx_buffer_output");
  int (*buf_err)(struct nft_ctx *) = (int (*)(struct nft_ctx *))dlsym(h, "nft_ctx_buffer_error");
  nft.run = (int (*)(struct nft_ctx *, const char *))dlsym(h, "nft_run_cmd_from_buffer");
  nft.errbuf = (const char *(*)(struct nft_ctx *))dlsym(h, "nft_ctx_get_error_buffer");
  nft.outbuf = (const char *(*)(struct nft_ctx *))dlsym(h, "nft_ctx_get_output_buffer");
  nft.dry_run = (void (*)(struct nft_ctx *, int))dlsym(h, "nft_ctx_set_dry_run");
  if (!ctx_new || !buf_out || !buf_err || !nft.run || !nft.errbuf || !nft.outbuf || !(nft.ctx = ctx_new(0))) return -1;
  // stdout is the serve protocol: nothing of nft's may reach it
  buf_out(nft.ctx);
  buf_err(nft.ctx);
  return 0;
}

// 0 ok, -1 failed (errmsg set), -3 no libnftables
static int do_nft(const char *script) {
  if (nft_load() < 0) {
    fail("libnftables.so.1", ENOENT);
    return -3;
  }
  int r = nft.run(nft.ctx, script);
  nft.outbuf(nft.ctx); // the buffers are reset by reading them
  if (r == 0) {
    nft.errbuf(nft.ctx); // drop warnings
    return 0;
  }
  const char *e = nft.errbuf(nft.ctx);
  snprintf(errmsg, sizeof errmsg, "nft: %s", e && *e ? e : "failed");
  return -1;
}

static void nfmsg(struct nlmsghdr *n, int type, int flags, int family, int resid, unsigned sq) {
  n->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  n->nlmsg_type = type;
  n->nlmsg_flags = NLM_F_REQUEST | flags;
  n->nlmsg_seq = sq;
  struct nfgenmsg *g = NLMSG_DATA(n);
  g->nfgen_family = family;
  g->version = NFNETLINK_V0;
  g->res_id = htons(resid);
}

static int do_nftdel(char **tables, int n) {
  if (n == 0) return 0;
  if (n > 64) return fail("tables", E2BIG);
  for (int i = 0; i < n; i++)
    if (strlen(tables[i]) >= 256) return fail(tables[i], ENAMETOOLONG);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return fail("netfilter netlink socket", errno);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return fail("netfilter netlink socket", e);
  }
  static char buf[64 * 320 + 64];
  size_t len = 0;
  unsigned base = (unsigned)++seq * 100;
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  nfmsg(h, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, base);
  len += NLMSG_ALIGN(h->nlmsg_len);
  for (int i = 0; i < n; i++) {
    h = (struct nlmsghdr *)(buf + len);
    nfmsg(h, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK, NFPROTO_INET, 0, base + 1 + i);
    addattr(h, NFTA_TABLE_NAME, tables[i], strlen(tables[i]) + 1);
    len += NLMSG_ALIGN(h->nlmsg_len);
  }
  h = (struct nlmsghdr *)(buf + len);
  nfmsg(h, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, base + 1 + n);
  len += NLMSG_ALIGN(h->nlmsg_len);
  int rc = 0;
  if (send(fd, buf, len, 0) < 0) rc = fail("nf_tables batch", errno);
  // one ACK (or error) per DELTABLE; a failed one aborts the whole transaction, so a missing table
  // (ENOENT) among others makes the rest be retried alone
  int acks = 0, missing = 0;
  char rb[8192];
  while (!rc && acks < n) {
    int r = recv(fd, rb, sizeof rb, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      rc = fail("nf_tables batch", errno);
      break;
    }
    for (struct nlmsghdr *m = (struct nlmsghdr *)rb; NLMSG_OK(m, (unsigned)r); m = NLMSG_NEXT(m, r)) {
      if (m->nlmsg_type != NLMSG_ERROR || m->nlmsg_seq <= base || m->nlmsg_seq > base + (unsigned)n) continue;
      acks++;
      int e = -((struct nlmsgerr *)NLMSG_DATA(m))->error;
      if (e == ENOENT) {
        missing++;
        tables[m->nlmsg_seq - base - 1] = NULL;
      } else if (e) {
        char what[300];
        snprintf(what, sizeof what, "delete table inet %s", tables[m->nlmsg_seq - base - 1]);
        rc = fail(what, e);
      }
    }
  }
  close(fd);
  if (rc || !missing || missing == n) return rc;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (tables[i]) tables[k++] = tables[i];
  return do_nftdel(tables, k);
}

// ------------------------------------------------------------------------------------------------ verbs

static int usage(void) {
  snprintf(errmsg, sizeof errmsg,
           "usage: tsc-net attach NETNS_PATH [--link HOSTIF,BRIDGE,IFACE,ADDR/PREFIX]... [--gw ADDR] | "
           "detach [NETNS_PATH|LINK]... | setup [--bridge NAME,MAC,ADDR/PREFIX | --addr NAME,ADDR/PREFIX]... | nft | "
           "nftdel TABLE... | serve");
  return 2;
}

// argv[0] is the verb; returns the exit status
static int dispatch(int argc, char **argv, const char *script) {
  errmsg[0] = 0;
  if (argc < 1) return usage();
  verb = argv[0];
  if (!strcmp(verb, "attach")) {
    if (argc < 2 || argv[1][0] != '/') return usage();
    struct link links[TSC_MAX_LINKS];
    int n = 0;
    struct in_addr gw;
    int hasgw = 0;
    for (int i = 2; i < argc; i++) {
      if (!strcmp(argv[i], "--link") && i + 1 < argc) {
        if (n == TSC_MAX_LINKS || parse_link(argv[++i], &links[n]) < 0) return usage();
        n++;
      } else if (!strcmp(argv[i], "--gw") && i + 1 < argc) {
        if (inet_pton(AF_INET, argv[++i], &gw) != 1) return usage();
        hasgw = 1;
      } else
        return usage();
    }
    return do_attach(argv[1], links, n, hasgw ? &gw : NULL) < 0 ? 1 : 0;
  }
  if (!strcmp(verb, "detach")) return do_detach(argv + 1, argc - 1) < 0 ? 1 : 0;
  if (!strcmp(verb, "setup")) {
    for (int i = 1; i < argc; i += 2)
      if (i + 1 >= argc || (strcmp(argv[i], "--bridge") && strcmp(argv[i], "--addr"))) return usage();
    return do_setup(argv + 1, argc - 1) < 0 ? 1 : 0;
  }
  if (!strcmp(verb, "nftdel")) return do_nftdel(argv + 1, argc - 1) < 0 ? 1 : 0;
  if (!strcmp(verb, "nft")) {
    if (!script) return usage();
    int r = do_nft(script);
    return r == -3 ? 3 : r < 0 ? 1 : 0;
  }
  return usage();
}

// ------------------------------------------------------------------------------------------------ serve

static char *inbuf;
static size_t inlen, incap, inpos;
// SIGTERM (also sent when the thread that started us exits: PR_SET_PDEATHSIG) = EOF: the request in hand
// is finished first
static volatile sig_atomic_t quit;

static void on_term(int sig) {
  (void)sig;
  quit = 1;
}

// Reads more of stdin; 0 at EOF.
static int fill(void) {
  if (inpos > 0) {
    memmove(inbuf, inbuf + inpos, inlen - inpos);
    inlen -= inpos;
    inpos = 0;
  }
  if (incap - inlen < 65536) {
    incap = incap ? incap * 2 : 131072;
    inbuf = realloc(inbuf, incap + 1);
    if (!inbuf) _exit(1);
  }
  for (;;) {
    if (quit) return 0;
    ssize_t r = read(0, inbuf + inlen, incap - inlen);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    inlen += (size_t)r;
    return 1;
  }
}

// The next line (without its newline) or NULL at EOF.
static char *next_line(void) {
  for (;;) {
    char *nl = memchr(inbuf + inpos, '\n', inlen - inpos);
    if (nl) {
      *nl = 0;
      char *line = inbuf + inpos;
      inpos = (size_t)(nl - inbuf) + 1;
      return line;
    }
    if (!fill()) return NULL;
  }
}

static void reply(const char *id, int status) {
  char out[1200];
  // one line: newlines of the message become "; "
  char msg[1024];
  size_t j = 0;
  for (size_t i = 0; errmsg[i] && j + 3 < sizeof msg; i++) {
    if (errmsg[i] == '\n') {
      if (errmsg[i + 1]) {
        msg[j++] = ';';
        msg[j++] = ' ';
      }
    } else
      msg[j++] = errmsg[i];
  }
  msg[j] = 0;
  int len = snprintf(out, sizeof out, "%s %d %s\n", id, status, status ? msg : "");
  if (len > (int)sizeof out - 1) len = sizeof out - 1, out[len - 1] = '\n';
  for (int off = 0; off < len;) {
    ssize_t w = write(1, out + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(0); // nobody listens any more
    off += (int)w;
  }
}

// The first script a libnftables context runs costs 20-60 ms more than the next ones (parser and symbol
// tables set up on first use): pay it while no request waits, with a dry run (checked, nothing committed)
// of rules like the project tables' (nft.ts).
static void nft_warm(void) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  if (poll(&p, 1, 0) != 0 || nft_load() < 0 || !nft.dry_run) return;
  nft.dry_run(nft.ctx, 1);
  nft.run(nft.ctx, "table inet tsc_warmup {\n"
                   " chain f { type filter hook forward priority -1; policy accept;\n"
                   "  oifname \"tscbwarmup\" iifname != \"tscbwarmup\" ct state established,related accept; }\n"
                   " chain i { type filter hook input priority -1; policy accept;\n"
                   "  ip daddr 10.0.0.0/24 iifname != { \"lo\", \"tscbwarmup\" } drop; }\n"
                   " chain p { type nat hook postrouting priority 100; policy accept;\n"
                   "  ip saddr 10.0.0.0/24 oifname != \"tscbwarmup\" masquerade; }\n"
                   "}\n");
  nft.dry_run(nft.ctx, 0);
  nft.outbuf(nft.ctx);
  nft.errbuf(nft.ctx);
}

// A table deletion runs in a child while the next requests go on: `down` asks for the tables' deletion
// and then the links', and each waits in the kernel (the links ~30 ms, the tables ~6 ms) on locks of
// their own (the nf_tables commit mutex, RTNL). The next nft request waits for it (ordered after it),
// and so does the exit (nothing of a `down` is left running when its helper has gone).
static pid_t nftdel_child;

static void wait_nftdel(void) {
  if (nftdel_child <= 0) return;
  while (waitpid(nftdel_child, NULL, 0) < 0 && errno == EINTR) {
  }
  nftdel_child = 0;
}

static int serve_requests(void);

static int serve(void) {
  int r = serve_requests();
  wait_nftdel();
  return r;
}

static int serve_requests(void) {
  static char *argv[TSC_MAX_ARGS];
  pid_t parent = getppid();
  struct sigaction sa = {.sa_handler = on_term}; // no SA_RESTART: a blocked read() returns EINTR
  sigaction(SIGTERM, &sa, NULL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 0; // it died before prctl took effect
  nft_warm();
  for (;;) {
    if (quit) return 0;
    char *line = next_line();
    if (!line) return 0;
    int argc = 0;
    for (char *tok = strtok(line, " "); tok && argc < TSC_MAX_ARGS; tok = strtok(NULL, " ")) argv[argc++] = tok;
    if (argc < 2) continue;
    char id[32];
    snprintf(id, sizeof id, "%s", argv[0]);
    char *script = NULL;
    if (!strcmp(argv[1], "nft")) {
      // "ID nft LEN" + LEN bytes: copied out, the input buffer may move while it fills
      size_t len = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
      while (inlen - inpos < len)
        if (!fill()) return 0;
      script = malloc(len + 1);
      if (!script) _exit(1);
      memcpy(script, inbuf + inpos, len);
      script[len] = 0;
      inpos += len;
      // the tokens pointed into the input buffer, which fill() may have moved
      argv[1] = "nft";
      argc = 2;
    }
    if (!strcmp(argv[1], "nft") || !strcmp(argv[1], "nftdel")) wait_nftdel();
    if (!strcmp(argv[1], "nftdel")) {
      pid_t pid = fork();
      if (pid == 0) {
        reply(id, dispatch(argc - 1, argv + 1, NULL)); // one write of one line: atomic on the pipe
        _exit(0);
      }
      if (pid > 0) {
        nftdel_child = pid;
        continue;
      }
      // no fork: done here, in order
    }
    int status = dispatch(argc - 1, argv + 1, script);
    free(script);
    reply(id, status);
  }
}

static char *read_all(int fd) {
  size_t cap = 65536, len = 0;
  char *b = malloc(cap + 1);
  for (ssize_t r; b && (r = read(fd, b + len, cap - len)) != 0;) {
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    len += (size_t)r;
    if (len == cap) b = realloc(b, (cap *= 2) + 1);
  }
  if (b) b[len] = 0;
  return b;
}

int main(int argc, char **argv) {
  hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (hostns < 0) {
    fprintf(stderr, "tsc-net: open host netns: %s\n", strerror(errno));
    return 1;
  }
  if (argc >= 2 && !strcmp(argv[1], "serve")) {
    signal(SIGPIPE, SIG_IGN);
    // libnftables allocates and frees 128 KiB hash tables per cached table on every run: from the heap,
    // kept, rather than fresh mmaps whose pages fault in each time (3 ms -> 0.4 ms per script here)
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    return serve();
  }
  char *script = argc >= 2 && !strcmp(argv[1], "nft") ? read_all(0) : NULL;
  int status = dispatch(argc - 1, argv + 1, script);
  if (status && errmsg[0]) fprintf(stderr, "%s\n", errmsg);
  return status;
}
