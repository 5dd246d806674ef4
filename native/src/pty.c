/* pty.c: process.terminal and `exec -t`. The pty comes from the container's own devpts (opened after
 * pivot_root), its slave becomes the process's stdio and controlling terminal, and the master travels to the
 * shim over a socketpair (SCM_RIGHTS), like runc's console socket. The relay copies between the caller's
 * terminal (raw mode, window size forwarded on SIGWINCH) and the master. */
#include "pty.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

int pty_open(int *master, char *slave, size_t len, struct err *e) {
  *master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0) return err_set(e, errno, "open /dev/ptmx");
  if (unlockpt(*master) < 0 || ptsname_r(*master, slave, len) != 0) {
    int s = errno;
    close(*master);
    return err_set(e, s, "allocate a pty");
  }
  return 0;
}

int pty_attach(const char *slave, const struct winsize *ws, bool ctty, bool console, struct err *e) {
  int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return err_set(e, errno, "open %s", slave);
  if (ws && ws->ws_row) ioctl(fd, TIOCSWINSZ, ws);
  if (console) {
    /* runtime-spec: /dev/console is the terminal when process.terminal is set */
    int c = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c >= 0) close(c);
    if (mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0) {
      int s = errno;
      close(fd);
      return err_set(e, s, "bind %s to /dev/console", slave);
    }
  }
  if (ctty && (setsid() < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)) {
    int s = errno;
    close(fd);
    return err_set(e, s, "make %s the controlling terminal", slave);
  }
  for (int i = 0; i < 3; i++)
    if (dup2(fd, i) < 0) return err_set(e, errno, "dup2 pty");
  close(fd);
  return 0;
}

int send_fd(int sock, int fd) { return send_fd_msg(sock, fd, "t", 1); }

int send_fd_msg(int sock, int fd, const char *data, size_t len) {
  struct iovec iov = {(void *)data, len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)len ? 0 : -1;
}

int console_socket_send(const char *path, int master, struct err *e) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return err_set(e, ENAMETOOLONG, "console socket %s", path);
  strcpy(a.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return err_set(e, errno, "socket");
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
    int r = errno;
    close(s);
    return err_set(e, r, "connect to console socket %s", path);
  }
  unsigned n = 0;
  char name[64];
  ioctl(master, TIOCGPTN, &n);
  int len = snprintf(name, sizeof name, "/dev/pts/%u", n); /* as runc: the pty's name, with the master fd */
  int r = send_fd_msg(s, master, name, (size_t)len);
  int saved = errno;
  close(s);
  return r < 0 ? err_set(e, saved, "send the pty to console socket %s", path) : 0;
}

int recv_fd(int sock) {
  char b;
  struct iovec iov = {&b, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t n;
  do n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m) : NULL;
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static struct termios saved_tio;
static bool raw_on;

void term_raw(int fd) {
  if (raw_on || !isatty(fd) || tcgetattr(fd, &saved_tio) < 0) return;
  struct termios t = saved_tio;
  cfmakeraw(&t);
  if (tcsetattr(fd, TCSANOW, &t) == 0) raw_on = true;
}

void term_restore(int fd) {
  if (raw_on) tcsetattr(fd, TCSANOW, &saved_tio);
  raw_on = false;
}

void pty_copy_winsize(int from, int master) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row) ioctl(master, TIOCSWINSZ, &ws);
}

/* write everything, waiting when the fd is non-blocking (a caller's terminal may be) */
static void put(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EAGAIN) {
      struct pollfd w = {fd, POLLOUT, 0};
      poll(&w, 1, 1000);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= (size_t)n;
  }
}

int relay_in(int in, int master) {
  char buf[4096];
  ssize_t n = read(in, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  if (n <= 0) {
    /* end of a piped stdin: ^D at the start of a line is end-of-file for the reader on the slave */
    char eot = 4;
    put(master, &eot, 1);
    return 0;
  }
  put(master, buf, (size_t)n);
  return 1;
}

int relay_out(int master, int out) {
  char buf[8192];
  ssize_t n = read(master, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  if (n <= 0) return 0; /* EIO: every slave fd is closed */
  put(out, buf, (size_t)n);
  return 1;
}
