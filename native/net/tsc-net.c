// tsc-net: container network setup over rtnetlink, one process per container (no iproute2 processes).
//
//   tsc-net attach NETNS_PATH [--link HOSTIF,BRIDGE,IFACE,ADDR/PREFIX]... [--gw ADDR]
//       Creates the persistent netns at NETNS_PATH (unshare + bind mount, like `ip netns add`), then per
//       --link a veth pair: HOSTIF in the host netns, enslaved to BRIDGE and up; its peer IFACE created
//       directly in the netns with MAC 02:42 + the address's 4 bytes. Inside the netns: the address on
//       IFACE, IFACE up, lo up, and a default route via --gw when given. On any failure everything made so far is removed.
//   tsc-net detach NETNS_PATH [HOSTIF]... [NETNS_PATH [HOSTIF]...]...
//       Deletes the host-side veths (if still there) and the netns mount + file of one or more containers
//       (arguments starting with '/' are netns paths). Missing things are fine.
//
// Exit codes: 0 ok, 1 failure (one line on stderr: "tsc-net: <verb>: <what>: <strerror>"), 2 usage.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TSC_MAX_LINKS 16

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

static int fail(const char *what, int err) {
  fprintf(stderr, "tsc-net: %s: %s: %s\n", verb, what, strerror(err));
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

static int link_up(int fd, int ifindex) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.n.nlmsg_type = RTM_NEWLINK;
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return talk(fd, &r.n);
}

static int link_del(int fd, const char *name) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.n.nlmsg_type = RTM_DELLINK;
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_family = AF_UNSPEC;
  addattr(&r.n, IFLA_IFNAME, name, strlen(name) + 1);
  return talk(fd, &r.n);
}

static int veth_add(int fd, const struct link *l, int brindex, int nsfd) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.n.nlmsg_type = RTM_NEWLINK;
  r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
  ifi->ifi_family = AF_UNSPEC;
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
  // the container side's MAC is derived from its IPv4 address (02:42:a:b:c:d, as Docker's bridge driver):
  // when a removed container's address is reused, neighbours' ARP caches still point at the right MAC
  // instead of black-holing traffic to the new holder until the stale entry is probed away (~30-45 s).
  unsigned char mac[6] = {0x02, 0x42};
  memcpy(mac + 2, &l->addr.s_addr, 4);
  addattr(&r.n, IFLA_ADDRESS, mac, 6);
  addattr(&r.n, IFLA_NET_NS_FD, &nsfd, 4);
  endnest(&r.n, peer);
  endnest(&r.n, data);
  endnest(&r.n, li);
  return talk(fd, &r.n);
}

static int addr_add(int fd, int ifindex, struct in_addr a, int prefix) {
  struct req r = {0};
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  r.n.nlmsg_type = RTM_NEWADDR;
  r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
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

static int parse_link(char *s, struct link *l) {
  char *f[4];
  for (int i = 0; i < 4; i++) {
    f[i] = strsep(&s, ",");
    if (!f[i] || !*f[i] || strlen(f[i]) >= IFNAMSIZ * 2) return -1;
  }
  if (s) return -1;
  if (strlen(f[0]) >= IFNAMSIZ || strlen(f[1]) >= IFNAMSIZ || strlen(f[2]) >= IFNAMSIZ) return -1;
  strcpy(l->host, f[0]);
  strcpy(l->bridge, f[1]);
  strcpy(l->iface, f[2]);
  char *slash = strchr(f[3], '/');
  if (!slash) return -1;
  *slash = 0;
  l->prefix = atoi(slash + 1);
  if (l->prefix < 1 || l->prefix > 32 || inet_pton(AF_INET, f[3], &l->addr) != 1) return -1;
  return 0;
}

static int do_attach(const char *path, struct link *links, int nlinks, const struct in_addr *gw) {
  int hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (hostns < 0) return fail("open host netns", errno);
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
    setns(hostns, CLONE_NEWNET);
    unlink(path);
    return fail("bind netns", e);
  }
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns(hostns, CLONE_NEWNET) < 0) {
    int e = errno;
    netns_remove(path);
    return fail("reopen netns", e);
  }
  int hfd = nlsock();
  if (hfd < 0) {
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
        else if (!(e = -addr_add(nfd, idx, links[i].addr, links[i].prefix))) e = -link_up(nfd, idx);
        if (e) snprintf(what, sizeof what, "address on %s", links[i].iface);
      }
      if (!e && (e = -link_up(nfd, 1))) snprintf(what, sizeof what, "lo up");
      if (!e && gw && (e = -route_default(nfd, *gw))) snprintf(what, sizeof what, "default route");
      if (nfd >= 0) close(nfd);
      setns(hostns, CLONE_NEWNET);
    }
  }
  if (e) {
    for (int i = 0; i < made; i++) link_del(hfd, links[i].host);
    netns_remove(path);
    return fail(what, e);
  }
  close(hfd);
  close(nsfd);
  return 0;
}

static int do_detach(char **args, int n) {
  int hfd = nlsock();
  if (hfd < 0) return fail("netlink socket", -hfd);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    if (args[i][0] == '/') {
      if (umount2(args[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) rc = fail("umount netns", errno);
      if (unlink(args[i]) < 0 && errno != ENOENT) rc = fail("unlink netns", errno);
      continue;
    }
    int e = -link_del(hfd, args[i]);
    if (e && e != ENODEV) rc = fail(args[i], e);
  }
  close(hfd);
  return rc;
}

static int usage(void) {
  fprintf(stderr, "usage: tsc-net attach NETNS_PATH [--link HOSTIF,BRIDGE,IFACE,ADDR/PREFIX]... [--gw ADDR]\n"
                  "       tsc-net detach NETNS_PATH [HOSTIF]... [NETNS_PATH [HOSTIF]...]...\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  verb = argv[1];
  const char *path = argv[2];
  if (path[0] != '/') return usage();
  if (!strcmp(verb, "attach")) {
    struct link links[TSC_MAX_LINKS];
    int n = 0;
    struct in_addr gw;
    int hasgw = 0;
    for (int i = 3; i < argc; i++) {
      if (!strcmp(argv[i], "--link") && i + 1 < argc) {
        if (n == TSC_MAX_LINKS || parse_link(argv[++i], &links[n]) < 0) return usage();
        n++;
      } else if (!strcmp(argv[i], "--gw") && i + 1 < argc) {
        if (inet_pton(AF_INET, argv[++i], &gw) != 1) return usage();
        hasgw = 1;
      } else
        return usage();
    }
    return do_attach(path, links, n, hasgw ? &gw : NULL) < 0 ? 1 : 0;
  }
  if (!strcmp(verb, "detach")) return do_detach(argv + 2, argc - 2) < 0 ? 1 : 0;
  return usage();
}
