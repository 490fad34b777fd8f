/*
 * sys/notify: the sd_notify(3) datagram systemd reads for Type=notify
 * units, sent to a socket this test binds (a path, then an abstract name),
 * and the no-op without $NOTIFY_SOCKET.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "sys_test.h"
#include "sys/notify.h"

/* Binds a datagram socket at name ('@' = abstract); the fd or -1. */
static int
bind_dgram(const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram, at most 1 s away; its text or "" */
static const char *
recv_one(int fd)
{
	static char buf[1024];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = -1;

	if (poll(&p, 1, 1000) == 1)
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int
main(void)
{
	char dir[] = "/tmp/shipworm-notify-XXXXXX", path[64], abs[64];
	char big[NOTIFY_MSG_MAX + 2];
	int fd, afd;

	unsetenv("NOTIFY_SOCKET");
	is_int(notify_send("READY=1"), 0, "no $NOTIFY_SOCKET: a no-op");
	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_dgram(path);
	ok(fd >= 0, "bound %s", path);
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_status(1, "qualified: 2001:0:c000:201::1"), 0,
	       "READY sent");
	ok(strcmp(recv_one(fd),
		  "READY=1\nSTATUS=qualified: 2001:0:c000:201::1") == 0,
	   "READY=1 and STATUS= in one datagram");
	is_int(notify_status(0, "probe\nREADY=1"), 0, "status sent");
	ok(strcmp(recv_one(fd), "STATUS=probe READY=1") == 0,
	   "a status cannot add a line (no forged READY=1)");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(notify_send(big), -EINVAL, "an oversized message is refused");
	is_int(notify_status(0, big), 0, "a long status is cut");
	is_int((long long)strlen(recv_one(fd)), NOTIFY_MSG_MAX,
	       "cut to the max");
	snprintf(abs, sizeof(abs), "@shipworm-notify-%d", (int)getpid());
	afd = bind_dgram(abs);
	ok(afd >= 0, "bound the abstract %s", abs);
	setenv("NOTIFY_SOCKET", abs, 1);
	is_int(notify_send("READY=1"), 0, "sent to an abstract socket");
	ok(strcmp(recv_one(afd), "READY=1") == 0, "abstract: received");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	is_int(notify_send("READY=1"), -EINVAL, "a relative path is refused");
	snprintf(path, sizeof(path), "%s/nobody", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	ok(notify_send("READY=1") == -ENOENT, "no listener: -ENOENT");
	close(fd);
	close(afd);
	snprintf(path, sizeof(path), "%s/notify", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
