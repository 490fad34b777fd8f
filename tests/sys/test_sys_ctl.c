/*
 * sys/ctl: a server in a child process (its own event loop) and
 * ctl_request() in the parent, over a socket in a fresh temp directory:
 * round trips, a 60 KB response, a too-small client buffer, framing
 * errors, a silent client cut off by the server's deadline, file mode,
 * stale and live socket files.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sys_test.h"
#include "sys/ctl.h"
#include "sys/ev.h"

#define BIG_LEN 60000

static size_t
handler(const char *req, char *out, size_t cap, void *arg)
{
	struct ev_loop *loop = arg;

	if (strncmp(req, "echo ", 5) == 0) {
		size_t n = strlen(req + 5);

		if (n + 1 > cap)
			return 0;
		memcpy(out, req + 5, n);
		out[n] = '\n';
		return n + 1;
	}
	if (strcmp(req, "big") == 0) {
		for (size_t i = 0; i < BIG_LEN && i < cap; i++)
			out[i] = (char)('a' + i % 26);
		return BIG_LEN < cap ? BIG_LEN : cap;
	}
	if (strcmp(req, "quit") == 0) {
		ev_stop(loop);
		memcpy(out, "bye\n", 4);
		return 4;
	}
	memcpy(out, "unknown\n", 8);
	return 8;
}

__attribute__((noreturn)) static void
serve(const char *path)
{
	struct ev_loop *loop;
	struct ctl_server *srv;
	int err;

	alarm(20); /* the child's own bound */
	if (ev_open(&loop) < 0)
		_exit(10);
	err = ctl_server_open(loop, path, 0660, handler, loop, &srv);
	if (err < 0)
		_exit(11);
	if (ev_run(loop) < 0)
		_exit(12);
	ctl_server_close(srv);
	ev_close(loop);
	_exit(0);
}

/*
 * Connects, sends raw bytes, reads until EOF (bounded): the byte count,
 * -1 on error, -2 when the server never closed.
 */
static ssize_t
raw_exchange(const char *path, const void *req, size_t len, char *out,
	     size_t cap, bool half_close)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint64_t deadline = sys_now_ms() + 3000;
	size_t got = 0;
	bool eof = false;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	if (len > 0 && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	while (got < cap - 1 && sys_now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, out + got, cap - 1 - got, 0);
		if (n <= 0) {
			eof = true;
			break;
		}
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return eof ? (ssize_t)got : -2;
}

static bool
wait_for_socket(const char *path)
{
	for (int i = 0; i < 200; i++) {
		struct stat st;

		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return true;
		usleep(10000);
	}
	return false;
}

int
main(void)
{
	static char out[CTL_RESPONSE_MAX + 1];
	char dir[] = "/tmp/shipworm-ctl-XXXXXX", path[96], other[96];
	struct stat st;
	size_t len = 0;
	bool pattern = true;
	pid_t pid;
	int status = -1, fd = -1;

	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	snprintf(other, sizeof(other), "%s/other.sock", dir);

	is_int(ctl_request(path, "echo x", out, sizeof(out), &len, 500),
	       -ENOENT, "no daemon yet: -ENOENT");

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		serve(path);
	ok(wait_for_socket(path), "server socket appeared");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660,
	   "socket file mode 0660 (%o)", (unsigned)(st.st_mode & 0777));

	is_int(ctl_request(path, "echo hello world", out, sizeof(out), &len,
			   2000),
	       0, "echo request");
	is_mem(out, len, "hello world\n", 12, "echo response");
	ok(out[len] == '\0', "response NUL-terminated");

	is_int(ctl_request(path, "big", out, sizeof(out), &len, 2000), 0,
	       "big request");
	is_int(len, BIG_LEN, "60000-byte response, complete");
	for (size_t i = 0; i < len; i++)
		pattern &= out[i] == (char)('a' + i % 26);
	ok(pattern, "big response intact");
	is_int(ctl_request(path, "big", out, 101, &len, 2000), -ENOBUFS,
	       "into 101 bytes: -ENOBUFS");
	is_int(len, 100, "with the first 100 bytes");

	is_int(ctl_request(path, "a\nb", out, sizeof(out), &len, 2000), -EINVAL,
	       "a newline inside the request: -EINVAL");
	{
		char longreq[CTL_REQUEST_MAX + 1];

		memset(longreq, 'x', sizeof(longreq) - 1);
		longreq[sizeof(longreq) - 1] = '\0';
		is_int(ctl_request(path, longreq, out, sizeof(out), &len, 2000),
		       -EINVAL, "an over-long request: -EINVAL client-side");
		raw_exchange(path, longreq, sizeof(longreq) - 1, out,
			     sizeof(out), false);
		ok(strcmp(out, "error: request too long\n") == 0,
		   "raw over-long request: server says too long");
	}
	raw_exchange(path, "\x01hi\n", 4, out, sizeof(out), false);
	ok(strcmp(out, "error: bad request\n") == 0,
	   "control byte in the request: bad request");
	raw_exchange(path, "echo eof-ended", 14, out, sizeof(out), true);
	ok(strcmp(out, "eof-ended\n") == 0,
	   "a request ended by shutdown(SHUT_WR) instead of a newline");
	is_int(raw_exchange(path, "", 0, out, sizeof(out), false), 0,
	       "a silent client is cut off by the server's deadline");

	is_int(ctl_listen(path, 0660, &fd), -EADDRINUSE,
	       "a second server on a live socket: -EADDRINUSE");
	is_int(ctl_request(path, "quit", out, sizeof(out), &len, 2000), 0,
	       "quit");
	is_mem(out, len, "bye\n", 4, "quit answered before stopping");
	for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "server exited cleanly (status %#x)", status);
	if (!WIFEXITED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(stat(path, &st) < 0 && errno == ENOENT,
	   "ctl_server_close removed the socket file");

	/* A stale socket file (its owner died without unlinking it). */
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", other);
		ok(s >= 0 && bind(s, (const struct sockaddr *)&sun,
				  sizeof(sun)) == 0,
		   "made a stale socket file");
		close(s);
	}
	is_int(ctl_request(other, "echo x", out, sizeof(out), &len, 500),
	       -ECONNREFUSED, "stale socket: -ECONNREFUSED");
	is_int(ctl_listen(other, 0600, &fd), 0, "stale socket replaced");
	ok(fd >= 0 && stat(other, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "with mode 0600");
	{
		int c = -1;

		is_int(ctl_accept(fd, &c), -EAGAIN,
		       "ctl_accept with nobody waiting: -EAGAIN");
	}
	close(fd);
	unlink(other);
	{
		FILE *f = fopen(other, "w");

		if (f != NULL)
			fclose(f);
	}
	is_int(ctl_listen(other, 0600, &fd), -EEXIST,
	       "a regular file at the path is never removed: -EEXIST");
	unlink(other);
	rmdir(dir);
	return done_testing();
}
