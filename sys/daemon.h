/*
 * Detaching from the terminal and the pidfile (-p PIDFILE).
 *
 * The original process stays until the daemon reports that it is ready
 * (sockets bound, TUN up, privileges dropped), so a start script learns
 * about a failed start from the exit status, and errors met while
 * starting still reach the terminal:
 *
 *   shell ── fork ──> child: setsid ── fork ──> daemon: pidfile, init ...
 *     │                  └─ exits                     │
 *     └──── waits on a pipe <──── "ready" ────────────┘ daemonize_ready()
 *           exit 0 (ready) or 1 (the daemon exited first)
 *
 * The pidfile is locked (flock) for the daemon's lifetime: a live daemon's
 * pidfile can never be taken over, and a stale one (its owner died, the
 * lock went with it) is simply reused.
 */
#ifndef SHIPWORM_SYS_DAEMON_H
#define SHIPWORM_SYS_DAEMON_H

#include "base/err.h"

/*
 * Creates or reuses the pidfile at path (absolute: the daemon changes
 * directory), locks it and writes the caller's pid.  *fd must stay open
 * until exit: closing it releases the lock.  -EINVAL for a relative path,
 * -EEXIST if a live process holds it, -ELOOP for a symlink, or -errno.
 */
MUST_CHECK int pidfile_open(const char *path, int *fd);

/*
 * Best effort at exit: removes path and closes fd (negative: no-op).
 * After a chroot or privilege drop the unlink may fail; a leftover
 * unlocked pidfile is harmless (see above).
 */
void pidfile_close(int fd, const char *path);

/*
 * Detaches (fork, setsid, fork; chdir("/"); umask 022) and, when pidfile
 * is not NULL, opens it in the daemon (*pidfile_fd; -1 otherwise).
 * Returns only in the daemon, with *ready_fd for daemonize_ready(); the
 * original process exits there.  stdin/stdout/stderr stay attached until
 * daemonize_ready().  -errno from pipe()/fork()/setsid() or the errors of
 * pidfile_open() (returned in the daemon, which should log and exit 1).
 */
MUST_CHECK int daemonize(const char *pidfile, int *ready_fd, int *pidfile_fd);

/*
 * Points stdin/stdout/stderr at /dev/null and lets the original process
 * exit 0.  Call log_use_syslog() first.  -errno from open()/dup2()/write().
 */
MUST_CHECK int daemonize_ready(int ready_fd);

#endif
