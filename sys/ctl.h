/*
 * The control socket between a daemon and teredoctl: a unix-domain stream
 * socket, one request per connection.
 *
 *   client                                   daemon
 *   connect(path) ------------------------->  accept
 *   "show state --json\n"  (<= 256 bytes) ->  handler(request) -> text
 *                          <-----------------  response (<= 64 KiB)
 *                          <-----------------  close: end of response
 *
 * The request is one line of printable ASCII (the newline, or the
 * client's shutdown(SHUT_WR), ends it).  Framing errors get a one-line
 * "error: ..." response.  Access control is the socket file's mode
 * (0660) and owner, and, once ctl_server_restrict() was called, the
 * peer's credentials (SO_PEERCRED, SO_PEERGROUPS) checked on every
 * connection: root, the daemon's user or a member of its control group
 * get an answer; anyone else gets "error: permission denied".
 *
 * The server side lives in the daemon's event loop and never blocks it:
 * each connection is a small state machine (read request, write response,
 * close) with a CTL_TIMEOUT_MS deadline, and at most CTL_CONN_MAX run at
 * once (more are accepted and closed at once).
 */
#ifndef SHIPWORM_SYS_CTL_H
#define SHIPWORM_SYS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "sys/ev.h"

#define CTL_REQUEST_MAX 256    /* bytes, newline included */
#define CTL_RESPONSE_MAX 65536 /* bytes */
#define CTL_CONN_MAX 8
#define CTL_TIMEOUT_MS 1000

/*
 * Creates the listening socket at path (nonblocking, close-on-exec) with
 * file mode mode.  A stale socket file left by a dead daemon is replaced;
 * -EADDRINUSE if a live daemon answers on it, -EEXIST if path exists and
 * is not a socket, -ENAMETOOLONG if path does not fit sockaddr_un, or
 * -errno from socket()/bind()/listen()/chmod().
 */
MUST_CHECK int ctl_listen(const char *path, mode_t mode, int *fd);

/*
 * A non-blocking, close-on-exec stream connection to the unix socket at
 * path (a local service such as assist offer's VNC server): 0 and *fd, or
 * -errno from socket()/connect() (-EAGAIN: its backlog is full).
 */
MUST_CHECK int ctl_connect_start(const char *path, int *fd);

/* Accepts one connection (nonblocking, close-on-exec).  -EAGAIN if none. */
MUST_CHECK int ctl_accept(int listen_fd, int *fd);

/*
 * Answers one request: writes at most cap bytes of response text to out
 * (not NUL-terminated) and returns how many.  request is NUL-terminated,
 * without its newline, and only printable ASCII.  Runs in the loop.
 */
typedef size_t ctl_handler(const char *request, char *out, size_t cap,
			   void *arg);

struct ctl_server;

/*
 * Listens on path (see ctl_listen()) and serves requests with handler in
 * loop.  The server owns the socket and its connections; the caller frees
 * it with ctl_server_close().  -ENOMEM or the errors of ctl_listen() and
 * ev_fd_add().
 */
MUST_CHECK int ctl_server_open(struct ev_loop *loop, const char *path,
			       mode_t mode, ctl_handler *handler, void *arg,
			       struct ctl_server **out);

/*
 * From now on, answers only root, uid, and processes whose primary or
 * supplementary groups include gid; the socket file becomes uid:gid, mode
 * 0660 (call it while allowed to chown, before privdrop()).  -errno from
 * chown()/chmod().
 */
MUST_CHECK int ctl_server_restrict(struct ctl_server *srv, uid_t uid,
				   gid_t gid);

/*
 * Whether a peer with these credentials may use a restricted socket
 * (groups: its supplementary groups).  Exposed for the tests.
 */
bool ctl_peer_allowed(uid_t peer_uid, gid_t peer_gid, const gid_t *groups,
		      size_t n_groups, uid_t uid, gid_t gid);

/*
 * Drops open connections, closes the socket and unlinks its path (which
 * fails silently after a chroot that hides it).  NULL is a no-op.
 */
void ctl_server_close(struct ctl_server *srv);

/*
 * Client: sends request (no newline; < CTL_REQUEST_MAX bytes) to the
 * daemon at path and stores the response in out, NUL-terminated; *len
 * excludes the NUL.  Waits at most timeout_ms in total.  -ENOBUFS if the
 * response did not fit in cap - 1 bytes (out holds its beginning),
 * -ETIMEDOUT, -ECONNREFUSED/-ENOENT when no daemon listens, -EAGAIN when
 * its backlog is full, -EINVAL for a bad request or cap == 0.
 */
MUST_CHECK int ctl_request(const char *path, const char *request, char *out,
			   size_t cap, size_t *len, int timeout_ms);

#endif
