/* selfexe.c: re-exec tsc-runtime from a sealed memfd copy before it touches any container (CVE-2019-5736).
 * Processes that live in or enter a container (PID 1 before exec, the built-in init, exec) then show a sealed,
 * write-protected /proc/PID/exe instead of the host binary. */
#include "selfexe.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int selfexe_ensure_sealed(char **argv, char **envp, struct err *e) {
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) return err_set(e, errno, "open /proc/self/exe");
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) return 0; /* already the sealed copy */
  struct stat st;
  if (fstat(self, &st) < 0) return err_set(e, errno, "stat /proc/self/exe");
  _cleanup_close_ int mfd = memfd_create("tsc-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) return err_set(e, errno, "memfd_create");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return err_set(e, n < 0 ? errno : EIO, "copy tsc-runtime to memfd");
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) return err_set(e, errno, "seal memfd");
  syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  return err_set(e, errno, "re-exec from sealed memfd");
}
