/*
 * seccomp allowlists (libseccomp), installed by a process once it is set
 * up, after privdrop(): from then on, a system call outside the list
 * kills the whole process (SIGSYS; the kernel logs it as an audit
 * "type=1326" record naming the call), except the few the policy lists
 * as refused, which fail with EPERM instead (for calls libc may make on
 * its own and that a daemon survives without, e.g. syslog() reopening
 * /dev/log after a chroot).
 *
 * Every policy gets SECCOMP_BASE (memory, signals, time, exit, epoll,
 * read/write on open descriptors, getrandom: what any event-loop process
 * of ours needs) and adds its own calls by name, so a table reads like
 * strace output and unknown names (another architecture) are skipped.
 * socket() is allowed only for the families the policy lists, any other
 * family (AF_PACKET, AF_NETLINK...) fails with EPERM; ioctl() only for
 * the requests it lists (e.g. SIOCGIFINDEX for if_nametoindex()), any
 * other kills.  unlink() fails with EPERM (exit paths try to remove their
 * socket and pidfile, which a chroot or the directory's owner forbid).
 *
 * Users: the teredod engine and privileged parent
 * (daemons/teredod/privsep.c), teredo-serverd; meant for assist offer's
 * network-facing process too.
 */
#ifndef SHIPWORM_SYS_SECCOMP_H
#define SHIPWORM_SYS_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct seccomp_policy {
	const char *const *allow; /* system call names, beyond the base */
	size_t n_allow;
	const char *const *refuse; /* fail with EPERM instead of killing */
	size_t n_refuse;
	const int *socket_families; /* socket() allowed for these only */
	size_t n_socket_families;
	const unsigned long *ioctls; /* ioctl() allowed for these requests */
	size_t n_ioctls;
};

/*
 * Loads the filter for this process and its future threads (TSYNC) and
 * children.  Needs no_new_privs (privdrop() sets it) or CAP_SYS_ADMIN.
 * -EINVAL for a name libseccomp does not know on any architecture,
 * -errno from the kernel.
 */
MUST_CHECK int seccomp_policy_apply(const struct seccomp_policy *p);

/* Whether this build installs the daemons' filters (meson -Dseccomp;
 * off under the sanitizers, whose runtime needs calls no filter names). */
bool seccomp_policy_enabled(void);

#endif
