/* assist offer's engine allowlist.  See offer_seccomp.h. */
#include "offer_seccomp.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

/*
 * What the engine does once set up, beyond SECCOMP_BASE: libssh on the
 * accepted TCP connections, the control socket's clients (accept4,
 * SO_PEERCRED), forwards to the allowed local ports and the desktop's
 * unix socket (socket, connect), the pipes to sftp-server and the
 * dialogs (pipe2), the VNC server's log (pread64), the Helper's window size on the pty (TIOCSWINSZ), the
 * spawner's channel (sendmsg/recvmsg) and its reaping at the end (wait4).
 * Not execve, fork, clone, ptrace, kill, open, unlink: a call outside the
 * list kills the engine (SIGSYS), open and unlink fail with EPERM.
 */
static const char *const engine_calls[] = {
	"accept",     "accept4",    "recvfrom",	   "recvmsg",
	"getsockopt", "setsockopt", "getsockname", "getpeername",
	"shutdown",   "pipe2",	    "pipe",	   "wait4",
	"uname",      "getuid",	    "geteuid",	   "getgid",
	"getegid",    "getppid",    "sched_yield", "clock_getres",
	"dup",	      "statx",	    "sysinfo",	   "pread64",
};
/* The forwards go to 127.0.0.1 only, the desktop is x11vnc's unix
 * socket; the listeners are open already (any other family: EPERM). */
static const int engine_families[] = {AF_UNIX, AF_INET};
static const unsigned long engine_ioctls[] = {TIOCSWINSZ, FIONREAD, FIONBIO};

const struct seccomp_policy offer_engine_seccomp = {
	.allow = engine_calls,
	.n_allow = ARRAY_SIZE(engine_calls),
	.socket_families = engine_families,
	.n_socket_families = ARRAY_SIZE(engine_families),
	.ioctls = engine_ioctls,
	.n_ioctls = ARRAY_SIZE(engine_ioctls),
};
