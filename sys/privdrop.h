/*
 * Privilege drop, as Miredo's -u USER and -t CHROOT: once the daemon has
 * opened everything it needs (TUN, sockets, control socket, pidfile, the
 * syslog connection), it gives up root for good.
 *
 * Order: look up USER (needs /etc/passwd, so before the chroot), chroot
 * and chdir("/"), clear every capability and the bounding set except
 * CAP_NET_ADMIN when asked (the client re-addresses its interface at each
 * qualification), switch to USER's uid and primary gid with no
 * supplementary groups, set no_new_privs, then verify all of it.
 *
 * Fail closed: any failure is returned and the daemon must exit; the
 * process may then be half-dropped and must not go on.
 */
#ifndef SHIPWORM_SYS_PRIVDROP_H
#define SHIPWORM_SYS_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

/*
 * The account the daemons run as by default (README "Privileges"): a
 * system user and a group of the same name, created on install (the
 * packages' sysusers.d file), never root.
 */
#define PRIVDROP_DEFAULT_USER "shipworm"

/*
 * Looks up user's uid and primary gid.  -ENOENT for an unknown user,
 * -EINVAL for root (uid or gid 0) or ids beyond INT_MAX.
 */
MUST_CHECK int privdrop_user_lookup(const char *user, uid_t *uid, gid_t *gid);

/* Looks up a group's gid.  -ENOENT for an unknown group. */
MUST_CHECK int privdrop_group_lookup(const char *group, gid_t *gid);

/*
 * Asks for sig when the parent process dies (PR_SET_PDEATHSIG), and checks
 * that the parent is still parent_pid (it may have died before the call).
 * Call it after privdrop(): a change of credentials clears the setting.
 * -ESRCH if the parent is already gone.
 */
MUST_CHECK int privdrop_parent_death_signal(int sig, pid_t parent_pid);

/*
 * user: account to become (NULL: keep the uid, still drop capabilities);
 * chroot_dir: directory to confine the process to (NULL: none).
 * -ENOENT for an unknown user, -EINVAL for a user with uid or gid 0,
 * -EPERM when a step is refused or the verification finds privileges
 * left, or -errno from chroot()/chdir()/prctl().
 */
MUST_CHECK int privdrop(const char *user, const char *chroot_dir,
			bool keep_net_admin);

/*
 * Keeps the uid but gives up every capability (and, when it had some,
 * the bounding set), then sets no_new_privs, and verifies: assist offer's
 * engine, run by root or by any user.  -EPERM when a step is refused or
 * a capability is left, -errno from prctl().
 */
MUST_CHECK int privdrop_caps(void);

#endif
