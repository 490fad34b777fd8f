/*
 * teredod's readiness (daemons/teredod/ready.c): what systemd reads on
 * $NOTIFY_SOCKET as the client's state moves.  READY=1 comes once, when
 * the client is qualified or has failed to qualify (offline, with the
 * reason), or at once for a relay; STATUS= follows every change and
 * nothing is sent while nothing changes.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "../../daemons/teredod/ready.h"

static int sock = -1;

/* The next datagram ("" if none within 200 ms). */
static const char *
next(void)
{
	static char buf[1024];
	struct pollfd p = {.fd = sock, .events = POLLIN};
	ssize_t n = -1;

	if (poll(&p, 1, 200) == 1)
		n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
is_msg(const char *want, const char *what)
{
	const char *got = next();

	if (!ok(strcmp(got, want) == 0, "%s", what))
		printf("#   got \"%s\"\n#   want \"%s\"\n", got, want);
}

int
main(void)
{
	static struct teredo_client c;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ready r = {0};
	char name[64];
	int n = snprintf(name, sizeof(name), "@shipworm-ready-%d",
			 (int)getpid());

	memcpy(sun.sun_path, name, (size_t)n);
	sun.sun_path[0] = '\0';
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 ||
	    bind(sock, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			     (size_t)n)) < 0) {
		printf("1..0 # SKIP no AF_UNIX socket\n");
		return 0;
	}
	setenv("NOTIFY_SOCKET", name, 1);

	c.state = TEREDO_CLIENT_PROBE_PRIMARY;
	ready_update(&r, &c, "192.0.2.1");
	is_msg("STATUS=qualifying: probe (primary server), server 192.0.2.1",
	       "probing: a status, not ready");
	ready_update(&r, &c, "192.0.2.1");
	is_msg("", "nothing changed: nothing sent");
	c.state = TEREDO_CLIENT_OFFLINE;
	c.error = "no answer from the Teredo server";
	ready_update(&r, &c, "192.0.2.1");
	is_msg("READY=1\nSTATUS=offline: no answer from the Teredo server "
	       "(server 192.0.2.1); retrying",
	       "failed to qualify: ready, with the reason");
	c.state = TEREDO_CLIENT_PROBE_PRIMARY;
	ready_update(&r, &c, "192.0.2.1");
	is_msg("STATUS=qualifying: probe (primary server), server 192.0.2.1",
	       "retrying: a status only");
	c.state = TEREDO_CLIENT_QUALIFIED;
	c.have_addr = true;
	c.addr.bytes[0] = 0x20;
	c.addr.bytes[1] = 0x01;
	c.addr.bytes[15] = 1;
	ready_update(&r, &c, "192.0.2.1");
	is_msg("STATUS=qualified: 2001::1, server 192.0.2.1",
	       "qualified later: READY=1 is not sent twice");
	c.addr.bytes[15] = 2;
	ready_update(&r, &c, "192.0.2.1");
	is_msg("STATUS=qualified: 2001::2, server 192.0.2.1",
	       "a new address: a new status");

	memset(&r, 0, sizeof(r));
	ready_update(&r, &c, "192.0.2.1");
	is_msg("READY=1\nSTATUS=qualified: 2001::2, server 192.0.2.1",
	       "qualified first: ready with the address");

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	c.state = TEREDO_CLIENT_RELAY;
	ready_update(&r, &c, "");
	is_msg("READY=1\nSTATUS=relay: routing the Teredo prefix",
	       "a relay is ready at once");

	unsetenv("NOTIFY_SOCKET");
	c.state = TEREDO_CLIENT_OFFLINE;
	ready_update(&r, &c, "");
	is_msg("", "no $NOTIFY_SOCKET: nothing sent, no error");
	close(sock);
	return done_testing();
}
