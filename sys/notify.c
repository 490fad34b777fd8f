/* sd_notify(3) without libsystemd.  See notify.h. */
#include "sys/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t plen, mlen = msg != NULL ? strlen(msg) : 0;
	socklen_t alen;
	ssize_t n;
	int fd, err = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	if (mlen == 0 || mlen > NOTIFY_MSG_MAX)
		return -EINVAL;
	plen = strlen(path);
	/* A path, or '@' for Linux's abstract namespace (a leading NUL). */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
			   (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	do
		n = sendto(fd, msg, mlen, MSG_NOSIGNAL,
			   (const struct sockaddr *)&sun, alen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != mlen)
		err = -EMSGSIZE;
	close(fd);
	return err;
}

int
notify_status(int ready, const char *status)
{
	char msg[NOTIFY_MSG_MAX + 1];
	int n = snprintf(msg, sizeof(msg), "%sSTATUS=%s",
			 ready ? "READY=1\n" : "", status);

	if (n < 0)
		return -EINVAL;
	/* One line: the status may quote a log message. */
	for (char *p = msg + (ready ? 8 : 0); *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return notify_send(msg);
}
