/*
 * The control socket.  See ctl.h for the protocol and the contract.
 */
#include "sys/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_BACKLOG 16

static int
ctl_addr(const char *path, struct sockaddr_un *sun)
{
	size_t n;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	n = strlen(path);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, n);
	return 0;
}

static int
ctl_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* 0 when nothing (or only a dead daemon's socket) is at path. */
static int
ctl_clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST; /* never unlink what is not ours to replace */
	fd = ctl_socket();
	if (fd < 0)
		return fd;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (r == 0 || errno == EAGAIN) {
		(void)close(fd);
		return -EADDRINUSE; /* someone answers: a live daemon */
	}
	r = errno;
	(void)close(fd);
	if (r != ECONNREFUSED)
		return -r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int
ctl_listen(const char *path, mode_t mode, int *fd_out)
{
	struct sockaddr_un sun;
	mode_t old_mask;
	int fd, err;

	*fd_out = -1;
	err = ctl_addr(path, &sun);
	if (err < 0)
		return err;
	err = ctl_clear_stale(path, &sun);
	if (err < 0)
		return err;
	fd = ctl_socket();
	if (fd < 0)
		return fd;
	/*
	 * The socket file is created by bind() with the umask: narrow it so
	 * the file is never more open than mode, even for an instant.
	 */
	old_mask = umask((mode_t)(~mode & 0777));
	err = bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno
								       : 0;
	(void)umask(old_mask);
	if (err == 0 && chmod(path, mode) < 0)
		err = -errno;
	if (err == 0 && listen(fd, CTL_BACKLOG) < 0)
		err = -errno;
	if (err < 0) {
		(void)close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

int
ctl_accept(int listen_fd, int *fd)
{
	int c = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	*fd = -1;
	if (c < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*fd = c;
	return 0;
}

/* ---- the server's per-connection state machine ---- */

struct ctl_conn {
	struct ctl_server *srv;
	int fd; /* -1: slot free */
	struct ev_timer timer;
	size_t in_len;
	char in[CTL_REQUEST_MAX + 1];
	char *out; /* CTL_RESPONSE_MAX bytes while writing */
	size_t out_len, out_off;
	bool refused; /* its peer may not ask: the answer is an error */
};

struct ctl_server {
	struct ev_loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler *handler;
	void *arg;
	bool restricted; /* ctl_server_restrict(): peers checked */
	uid_t uid;
	gid_t gid;
	struct ctl_conn conns[CTL_CONN_MAX];
};

/* At most this many supplementary groups are looked at (NGROUPS_MAX is
 * 65536; a peer with more is refused, fail closed). */
#define CTL_PEER_GROUPS_MAX 256

bool
ctl_peer_allowed(uid_t peer_uid, gid_t peer_gid, const gid_t *groups,
		 size_t n_groups, uid_t uid, gid_t gid)
{
	if (peer_uid == 0 || peer_uid == uid || peer_gid == gid)
		return true;
	for (size_t i = 0; i < n_groups; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The connected peer's credentials, as the kernel recorded them at
 * connect(): never what the peer says. */
static bool
ctl_peer_check(const struct ctl_server *srv, int fd)
{
	struct ucred cred;
	gid_t groups[CTL_PEER_GROUPS_MAX];
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return false;
	if (ctl_peer_allowed(cred.uid, cred.gid, NULL, 0, srv->uid, srv->gid))
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false; /* ERANGE: more than we look at */
	return ctl_peer_allowed(cred.uid, cred.gid, groups,
				len / sizeof(groups[0]), srv->uid, srv->gid);
}

int
ctl_server_restrict(struct ctl_server *srv, uid_t uid, gid_t gid)
{
	if (chown(srv->path, uid, gid) < 0 || chmod(srv->path, 0660) < 0)
		return -errno;
	srv->uid = uid;
	srv->gid = gid;
	srv->restricted = true;
	return 0;
}

static void
ctl_conn_end(struct ctl_conn *c)
{
	struct ev_loop *loop = c->srv->loop;

	ev_timer_cancel(loop, &c->timer);
	if (ev_fd_del(loop, c->fd) < 0) {
		/* Registered and still open, so not expected; close anyway. */
	}
	(void)close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

static void
ctl_conn_timeout(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	ctl_conn_end(arg);
}

static void
ctl_conn_write(struct ctl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return; /* EV_WRITE brings us back */
			break;
		}
		c->out_off += (size_t)n;
	}
	/* Done or the client went away: closing ends the response. */
	ctl_conn_end(c);
}

static size_t
ctl_set_error(char *out, size_t cap, const char *msg)
{
	size_t n = strlen(msg);

	if (n > cap)
		n = cap;
	memcpy(out, msg, n);
	return n;
}

/* The request is complete in c->in[0..len): answer it. */
static void
ctl_conn_answer(struct ctl_conn *c, size_t len, bool too_long)
{
	struct ctl_server *srv = c->srv;
	bool ok = !too_long;

	c->out = malloc(CTL_RESPONSE_MAX);
	if (c->out == NULL) {
		ctl_conn_end(c);
		return;
	}
	if (len > 0 && c->in[len - 1] == '\r')
		len--;
	c->in[len] = '\0';
	/* Attacker-controlled bytes: printable ASCII only reach the handler. */
	for (size_t i = 0; ok && i < len; i++)
		ok = c->in[i] >= 0x20 && c->in[i] < 0x7f;
	if (c->refused)
		c->out_len = ctl_set_error(c->out, CTL_RESPONSE_MAX,
					   "error: permission denied\n");
	else if (too_long)
		c->out_len = ctl_set_error(c->out, CTL_RESPONSE_MAX,
					   "error: request too long\n");
	else if (!ok)
		c->out_len = ctl_set_error(c->out, CTL_RESPONSE_MAX,
					   "error: bad request\n");
	else
		c->out_len =
			srv->handler(c->in, c->out, CTL_RESPONSE_MAX, srv->arg);
	if (c->out_len > CTL_RESPONSE_MAX)
		c->out_len = CTL_RESPONSE_MAX;
	c->out_off = 0;
	/* From now on only the socket's writability matters. */
	if (ev_fd_mod(srv->loop, c->fd, EV_WRITE) < 0) {
		ctl_conn_end(c);
		return;
	}
	ctl_conn_write(c);
}

static void
ctl_conn_read(struct ctl_conn *c)
{
	for (;;) {
		char *nl;
		ssize_t n;

		if (c->in_len == CTL_REQUEST_MAX) {
			ctl_conn_answer(c, 0, true);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, CTL_REQUEST_MAX - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			ctl_conn_end(c);
			return;
		}
		if (n == 0) {
			/* shutdown(SHUT_WR) also ends a request. */
			if (c->in_len == 0)
				ctl_conn_end(c);
			else
				ctl_conn_answer(c, c->in_len, false);
			return;
		}
		nl = memchr(c->in + c->in_len, '\n', (size_t)n);
		c->in_len += (size_t)n;
		if (nl != NULL) {
			ctl_conn_answer(c, (size_t)(nl - c->in), false);
			return;
		}
	}
}

static void
ctl_conn_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;

	(void)loop;
	(void)fd;
	if (c->out == NULL) {
		if (events & EV_READ)
			ctl_conn_read(c);
	} else if (events & EV_WRITE) {
		ctl_conn_write(c);
	}
}

static void
ctl_listen_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_server *srv = arg;

	(void)events;
	/* Bounded: drain at most a backlog's worth per turn. */
	for (int i = 0; i < CTL_BACKLOG; i++) {
		struct ctl_conn *c = NULL;
		int cfd;

		if (ctl_accept(fd, &cfd) < 0)
			return;
		for (size_t k = 0; k < ARRAY_SIZE(srv->conns); k++) {
			if (srv->conns[k].fd < 0) {
				c = &srv->conns[k];
				break;
			}
		}
		if (c == NULL) {
			(void)close(cfd); /* busy: the client sees EOF */
			continue;
		}
		c->fd = cfd;
		c->in_len = 0;
		c->out = NULL;
		/* The request is still read (bounded, as any), so that the
		 * client gets the refusal rather than a reset. */
		c->refused = srv->restricted && !ctl_peer_check(srv, cfd);
		if (ev_fd_add(loop, cfd, EV_READ, ctl_conn_cb, c) < 0) {
			(void)close(cfd);
			c->fd = -1;
			continue;
		}
		ev_timer_init(&c->timer, ctl_conn_timeout, c);
		if (ev_timer_arm(loop, &c->timer,
				 ev_now_ms(loop) + CTL_TIMEOUT_MS) < 0) {
			ctl_conn_end(c); /* no deadline, no connection */
			continue;
		}
	}
}

int
ctl_server_open(struct ev_loop *loop, const char *path, mode_t mode,
		ctl_handler *handler, void *arg, struct ctl_server **out)
{
	struct ctl_server *srv;
	int err;

	*out = NULL;
	if (handler == NULL || path == NULL)
		return -EINVAL;
	if (strlen(path) >= sizeof(srv->path))
		return -ENAMETOOLONG;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->loop = loop;
	srv->handler = handler;
	srv->arg = arg;
	memcpy(srv->path, path, strlen(path) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(srv->conns); i++) {
		srv->conns[i].srv = srv;
		srv->conns[i].fd = -1;
		ev_timer_init(&srv->conns[i].timer, ctl_conn_timeout,
			      &srv->conns[i]);
	}
	err = ctl_listen(path, mode, &srv->fd);
	if (err < 0) {
		free(srv);
		return err;
	}
	err = ev_fd_add(loop, srv->fd, EV_READ, ctl_listen_cb, srv);
	if (err < 0) {
		(void)close(srv->fd);
		(void)unlink(srv->path);
		free(srv);
		return err;
	}
	*out = srv;
	return 0;
}

void
ctl_server_close(struct ctl_server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(srv->conns); i++)
		if (srv->conns[i].fd >= 0)
			ctl_conn_end(&srv->conns[i]);
	if (ev_fd_del(srv->loop, srv->fd) < 0) {
		/* Registered and still open, so not expected; close anyway. */
	}
	(void)close(srv->fd);
	(void)unlink(srv->path);
	free(srv);
}

/* ---- client ---- */

/* Waits for events on fd until deadline; -ETIMEDOUT when it passes. */
static int
ctl_wait(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		uint64_t now = sys_now_ms();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int
ctl_send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int err;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = ctl_wait(fd, POLLOUT, deadline);
		if (err < 0)
			return err;
	}
	return 0;
}

int
ctl_connect_start(const char *path, int *fd_out)
{
	struct sockaddr_un sun;
	int fd, err = ctl_addr(path, &sun);

	if (err < 0)
		return err;
	fd = ctl_socket();
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

int
ctl_request(const char *path, const char *request, char *out, size_t cap,
	    size_t *len, int timeout_ms)
{
	struct sockaddr_un sun;
	char line[CTL_REQUEST_MAX];
	uint64_t deadline;
	size_t rlen, got = 0;
	int fd, err;

	*len = 0;
	if (cap == 0 || request == NULL || timeout_ms <= 0)
		return -EINVAL;
	out[0] = '\0';
	rlen = strlen(request);
	if (rlen + 1 > sizeof(line) || memchr(request, '\n', rlen) != NULL)
		return -EINVAL;
	memcpy(line, request, rlen);
	line[rlen++] = '\n';
	err = ctl_addr(path, &sun);
	if (err < 0)
		return err;
	deadline = sys_now_ms() + (uint64_t)timeout_ms;
	fd = ctl_socket();
	if (fd < 0)
		return fd;
	/* A unix-domain connect completes at once or fails (EAGAIN: busy). */
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		goto out;
	}
	err = ctl_send_all(fd, line, rlen, deadline);
	if (err < 0)
		goto out;
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		char spill;
		ssize_t n;

		/* Read one byte past the room left to detect overflow. */
		if (got < cap - 1)
			n = recv(fd, out + got, cap - 1 - got, MSG_DONTWAIT);
		else
			n = recv(fd, &spill, 1, MSG_DONTWAIT);
		if (n == 0)
			break; /* the daemon closed: response complete */
		if (n > 0) {
			if (got == cap - 1) {
				err = -ENOBUFS;
				break;
			}
			got += (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR) {
			err = -errno;
			break;
		}
		err = ctl_wait(fd, POLLIN, deadline);
		if (err < 0)
			break;
	}
out:
	out[got] = '\0';
	*len = got;
	(void)close(fd);
	return err;
}
