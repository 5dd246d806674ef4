/* pty.h: terminals for process.terminal and `exec -t` (see pty.c). */
#ifndef TSC_PTY_H
#define TSC_PTY_H
#include "util.h"
#include <stdbool.h>
#include <sys/ioctl.h>

/* A new pty of the devpts mounted at /dev/pts (the container's, once pivoted): master fd + slave path. */
int pty_open(int *master, char *slave, size_t len, struct err *e);
/* Make the slave our stdio; ctty: new session with it as controlling terminal; console: bind it to /dev/console. */
int pty_attach(const char *slave, const struct winsize *ws, bool ctty, bool console, struct err *e);
int send_fd(int sock, int fd);
int send_fd_msg(int sock, int fd, const char *data, size_t len);
/* runc's --console-socket: connect to the unix socket PATH and send the master (data: its /dev/pts name). */
int console_socket_send(const char *path, int master, struct err *e);
int recv_fd(int sock); /* -1 when nothing was sent */
void term_raw(int fd);
void term_restore(int fd);
void pty_copy_winsize(int from, int master);
/* One read + write each; 0 at end of input (relay_in then sends ^D) or of the pty (EIO). */
int relay_in(int in, int master);
int relay_out(int master, int out);
#endif
