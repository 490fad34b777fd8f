/*
 * sys/ipc: the SOCK_SEQPACKET channel with descriptors beside a message
 * (SCM_RIGHTS, assist offer's spawner): one send is one message; the
 * descriptors that arrive work and are close-on-exec; more than the
 * receiver takes are closed and the message refused; a closed peer reads
 * as -ECONNRESET; nothing to read as -ETIMEDOUT.
 */
#include <fcntl.h>

#include "sys_test.h"
#include "sys/fd.h"
#include "sys/ipc.h"

static void
test_fds(void)
{
	int ch[2], p[2], q[2], got[3];
	uint8_t buf[64];
	size_t len, n;
	char c = 0;

	if (ipc_pair(ch) < 0 || fd_pipe(p) < 0 || fd_pipe(q) < 0) {
		ok(false, "ipc_pair, pipes");
		return;
	}
	{
		const int fds[] = {p[1], q[0]};

		is_int(ipc_send_fds(ch[0], (const uint8_t *)"hello", 5, fds,
				    ARRAY_SIZE(fds)),
		       0, "a message with two descriptors is sent");
	}
	is_int(ipc_recv_fds(ch[1], buf, sizeof(buf), &len, got, ARRAY_SIZE(got),
			    &n, 1000),
	       0, "and received");
	ok(len == 5 && memcmp(buf, "hello", 5) == 0 && n == 2,
	   "one message, its bytes and its two descriptors");
	if (n == 2) {
		ok(write(got[0], "x", 1) == 1 && read(p[0], &c, 1) == 1 &&
			   c == 'x',
		   "the first is the pipe's write end");
		ok(fcntl(got[0], F_GETFD) == FD_CLOEXEC &&
			   fcntl(got[1], F_GETFD) == FD_CLOEXEC,
		   "both are close-on-exec");
		fd_close(got[0]);
		fd_close(got[1]);
	}
	{
		const int fds[] = {p[1], q[0], q[1], p[0]};

		is_int(ipc_send_fds(ch[0], (const uint8_t *)"x", 1, fds,
				    ARRAY_SIZE(fds)),
		       0, "four descriptors sent");
		is_int(ipc_recv_fds(ch[1], buf, sizeof(buf), &len, got,
				    ARRAY_SIZE(got), &n, 1000),
		       -EBADMSG, "to a receiver that takes three: refused");
		is_int((int)n, 0, "and none is left open for the caller");
	}
	is_int(ipc_send_fds(ch[0], buf, 1, got, IPC_FDS_MAX + 1), -EINVAL,
	       "more than IPC_FDS_MAX: not sent");
	is_int(ipc_recv_fds(ch[1], buf, sizeof(buf), &len, got, ARRAY_SIZE(got),
			    &n, 0),
	       -ETIMEDOUT, "nothing to read: -ETIMEDOUT");
	is_int(ipc_send_fds(ch[0], (const uint8_t *)"plain", 5, NULL, 0), 0,
	       "a message without descriptors");
	ok(ipc_recv_fds(ch[1], buf, sizeof(buf), &len, got, ARRAY_SIZE(got), &n,
			1000) == 0 &&
		   len == 5 && n == 0,
	   "arrives alone");
	fd_close(ch[0]);
	is_int(ipc_recv_fds(ch[1], buf, sizeof(buf), &len, got, ARRAY_SIZE(got),
			    &n, 1000),
	       -ECONNRESET, "the peer closed: -ECONNRESET");
	fd_close(ch[1]);
	fd_close(p[0]);
	fd_close(p[1]);
	fd_close(q[0]);
	fd_close(q[1]);
}

int
main(void)
{
	test_fds();
	return done_testing();
}
