/* shim.h: the process that stays the container's parent: CRI log writer, exit.json, signal forwarding. */
#ifndef TSC_SHIM_H
#define TSC_SHIM_H
#include "container.h"

/* Wait for PID 1, copying its output into the CRI log; write exit.json. forward: relay the caller's
 * TERM/INT/HUP/QUIT/USR1/USR2/WINCH to PID 1 (foreground run). Returns the exit status (128+N for signal N). */
int shim_monitor(struct launch *L, bool forward);
/* After a failed launch: copy what the dead child wrote into the log. */
void shim_drain_logs(struct launch *L);
/* Return what the shim no longer needs: heap and the resident pages of the binary. */
void shim_trim_memory(void);
#endif
