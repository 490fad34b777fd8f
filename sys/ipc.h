/*
 * The channel between teredod's privileged parent and its engine
 * (ARCHITECTURE.md "Privilege separation"): a SOCK_SEQPACKET socketpair,
 * so one send is one message and a short read cannot split one.  The
 * messages themselves are lib/privsep's.
 */
#ifndef SHIPWORM_SYS_IPC_H
#define SHIPWORM_SYS_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* A connected pair, close-on-exec.  -errno. */
MUST_CHECK int ipc_pair(int fd[2]);

/* Sends one message (never blocks for long: the peer reads at once).
 * -EPIPE when the peer is gone, -errno otherwise. */
MUST_CHECK int ipc_send(int fd, const uint8_t *buf, size_t len);

/*
 * Receives one message into buf[0..cap), waiting at most timeout_ms
 * (-1: no limit).  -ECONNRESET when the peer closed its end, -ETIMEDOUT,
 * -EMSGSIZE for a message longer than cap (it is discarded).
 */
MUST_CHECK int ipc_recv(int fd, uint8_t *buf, size_t cap, size_t *len,
			int timeout_ms);

/*
 * The same with descriptors beside the message (SCM_RIGHTS): assist
 * offer's engine hands its pipe ends to the spawner, which hands back a
 * pty master (apps/assist/offer_spawn.c).  ipc_send_fds() sends nfds (at
 * most IPC_FDS_MAX) of fds; the sender still owns and closes them.
 */
#define IPC_FDS_MAX 4
MUST_CHECK int ipc_send_fds(int fd, const uint8_t *buf, size_t len,
			    const int *fds, size_t nfds);
/*
 * ipc_recv() that also takes the descriptors that came with the message
 * (close-on-exec) into fds[0..*nfds), at most max (more are closed and
 * the message refused, -EBADMSG).  The receiver owns them.
 */
MUST_CHECK int ipc_recv_fds(int fd, uint8_t *buf, size_t cap, size_t *len,
			    int *fds, size_t max, size_t *nfds, int timeout_ms);

/* getpid(). */
pid_t ipc_self_pid(void);

/* The index of interface ifname.  -ENODEV. */
MUST_CHECK int ipc_ifindex(const char *ifname, uint32_t *ifindex);

#endif
