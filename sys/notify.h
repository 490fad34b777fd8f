/*
 * Readiness and status for the service manager: systemd's sd_notify(3)
 * protocol without libsystemd.  One datagram of "KEY=VALUE" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract name
 * written with a leading '@').  Without $NOTIFY_SOCKET (not run by
 * systemd, or Type= is not notify) every call is a no-op that succeeds.
 *
 *   notify_send("READY=1\nSTATUS=qualified")
 */
#ifndef SHIPWORM_SYS_NOTIFY_H
#define SHIPWORM_SYS_NOTIFY_H

#include <stddef.h>

#include "base/err.h"

#define NOTIFY_MSG_MAX 512 /* bytes of one message we ever send */

/*
 * Sends msg to $NOTIFY_SOCKET.  0 when sent or when there is no socket;
 * -EINVAL for a malformed $NOTIFY_SOCKET or an empty or oversized msg;
 * -errno from socket() or sendto().  Never blocks.
 */
MUST_CHECK int notify_send(const char *msg);

/*
 * notify_send() of "READY=1\nSTATUS=<status>" when ready, else
 * "STATUS=<status>"; status is cut at NOTIFY_MSG_MAX and its line breaks
 * become spaces, so a message is always one status line.
 */
MUST_CHECK int notify_status(int ready, const char *status);

#endif
