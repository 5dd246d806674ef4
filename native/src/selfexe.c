/* selfexe.c: re-exec tsc-runtime from a sealed memfd copy before it touches any container (CVE-2019-5736).
 * Processes that live in or enter a container (PID 1 before exec, the built-in init, exec) then show a sealed,
 * write-protected /proc/PID/exe instead of the host binary. */
#include "selfexe.h"
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* A sealed memfd copy of our binary (O_CLOEXEC); *sealed set when we already run from one (no copy then). */
static int sealed_copy(bool *sealed, struct err *e) {
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) return err_set(e, errno, "open /proc/self/exe");
  int seals = fcntl(self, F_GET_SEALS);
  *sealed = seals >= 0 && (seals & SEALS) == SEALS;
  if (*sealed) return -1;
  struct stat st;
  if (fstat(self, &st) < 0) return err_set(e, errno, "stat /proc/self/exe");
  int mfd = memfd_create("tsc-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) return err_set(e, errno, "memfd_create");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : EIO;
      close(mfd);
      return err_set(e, saved, "copy tsc-runtime to memfd");
    }
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
    int saved = errno;
    close(mfd);
    return err_set(e, saved, "seal memfd");
  }
  return mfd;
}

int selfexe_ensure_sealed(char **argv, char **envp, struct err *e) {
  bool sealed = false;
  _cleanup_close_ int mfd = sealed_copy(&sealed, e);
  if (sealed) return 0; /* already the sealed copy: started from one a parent holds (sealed-exec) */
  if (mfd < 0) return -1;
  syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  return err_set(e, errno, "re-exec from sealed memfd");
}

int selfexe_hold_and_exec(int fd, char **argv, struct err *e) {
  bool sealed = false;
  int mfd = sealed_copy(&sealed, e);
  if (sealed) {
    /* started from a sealed copy already: hand on that one */
    mfd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (mfd < 0) return err_set(e, errno, "open /proc/self/exe");
  }
  if (mfd < 0) return -1;
  /* dup2 leaves the new fd without O_CLOEXEC: the program inherits it */
  if (mfd != fd && dup2(mfd, fd) < 0) return err_set(e, errno, "dup2 to fd %d", fd);
  if (mfd == fd && fcntl(fd, F_SETFD, 0) < 0) return err_set(e, errno, "fcntl");
  if (mfd != fd) close(mfd);
  execvp(argv[0], argv);
  return err_set(e, errno, "exec %s", argv[0]);
}
