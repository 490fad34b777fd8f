/*
 * Privilege drop with libcap-ng.  See privdrop.h.
 */
#include "sys/privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

int
privdrop_user_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	char buf[16384];
	struct passwd pw, *res = NULL;
	int r;

	r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (res == NULL)
		return -ENOENT;
	/* Dropping to root would drop nothing: a configuration error. */
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return -EINVAL;
	/* libcap-ng takes ints. */
	if (pw.pw_uid > INT_MAX || pw.pw_gid > INT_MAX)
		return -EINVAL;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int
privdrop_group_lookup(const char *group, gid_t *gid)
{
	char buf[16384];
	struct group gr, *res = NULL;
	int r;

	r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (res == NULL)
		return -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

int
privdrop_parent_death_signal(int sig, pid_t parent_pid)
{
	if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) < 0)
		return -errno;
	/* Died in between: the signal will never come. */
	if (getppid() != parent_pid)
		return -ESRCH;
	return 0;
}

/* Checks that exactly the wanted privileges are left. */
static int
privdrop_verify(bool change_id, uid_t uid, gid_t gid, bool keep_net_admin)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (change_id) {
		if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid ||
		    su != uid)
			return -EPERM;
		if (getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid ||
		    sg != gid)
			return -EPERM;
		if (getgroups(0, NULL) != 0)
			return -EPERM;
		/* The saved uid is gone if this cannot take root back. */
		if (setuid(0) == 0)
			return -EPERM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	if (capng_get_caps_process() < 0)
		return -EPERM;
	for (unsigned cap = 0; cap < 64; cap++) {
		int want = keep_net_admin && cap == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_PERMITTED, cap) != want ||
		    capng_have_capability(CAPNG_EFFECTIVE, cap) != want)
			return -EPERM;
		if (capng_have_capability(CAPNG_BOUNDING_SET, cap))
			return -EPERM;
	}
	return 0;
}

int
privdrop(const char *user, const char *chroot_dir, bool keep_net_admin)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int err;

	if (user != NULL) {
		err = privdrop_user_lookup(user, &uid, &gid);
		if (err < 0)
			return err;
	}
	/* Read the current state now: libcap-ng may look in /proc. */
	if (capng_get_caps_process() < 0)
		return -EPERM;
	if (chroot_dir != NULL) {
		if (chroot(chroot_dir) < 0)
			return -errno;
		if (chdir("/") < 0)
			return -errno;
	}
	capng_clear(CAPNG_SELECT_ALL);
	if (keep_net_admin &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_ADMIN) < 0)
		return -EPERM;
	if (user != NULL) {
		/* Keeps the selected capabilities across the uid change. */
		if (capng_change_id((int)uid, (int)gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
					    CAPNG_CLEAR_AMBIENT) < 0)
			return -EPERM;
	} else if (capng_apply(CAPNG_SELECT_ALL) < 0) {
		return -EPERM;
	}
	/* No setuid binary or file capability can give anything back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return privdrop_verify(user != NULL, uid, gid, keep_net_admin);
}

int
privdrop_caps(void)
{
	if (capng_get_caps_process() < 0)
		return -EPERM;
	/* root (or file capabilities): every one goes, the bounding set
	 * too.  A user without any has nothing to drop, and may not touch
	 * the bounding set (CAP_SETPCAP). */
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		capng_clear(CAPNG_SELECT_ALL);
		if (capng_apply(CAPNG_SELECT_ALL) < 0)
			return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    capng_get_caps_process() < 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return -EPERM;
	return 0;
}
