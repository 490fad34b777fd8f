/*
 * sys/privdrop, each case in a forked child (a drop cannot be undone):
 * to nobody inside a chroot keeping CAP_NET_ADMIN, without it, without a
 * user change, and the refusals (unknown user, root, missing chroot).
 */
#include <cap-ng.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "sys_test.h"
#include "sys/privdrop.h"

static char dir[] = "/tmp/shipworm-chroot-XXXXXX";

static void
check_caps(bool net_admin)
{
	cok(capng_get_caps_process() == 0, "read own capabilities");
	cok(capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN) ==
		    (int)net_admin,
	    "CAP_NET_ADMIN %s", net_admin ? "kept" : "dropped");
	cok(!capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) &&
		    !capng_have_capability(CAPNG_PERMITTED, CAP_SETUID) &&
		    !capng_have_capability(CAPNG_PERMITTED, CAP_SYS_CHROOT),
	    "CAP_SYS_ADMIN, CAP_SETUID, CAP_SYS_CHROOT gone");
	cok(!capng_have_capability(CAPNG_BOUNDING_SET, CAP_SYS_ADMIN),
	    "bounding set cleared");
	cis_int(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1, "no_new_privs set");
}

static void
case_chroot_nobody(bool keep)
{
	struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw != NULL ? pw->pw_uid : 65534;
	int fd;

	cis_int(privdrop("nobody", dir, keep), 0, "privdrop(nobody, chroot)");
	cis_int(getuid(), uid, "uid is nobody's");
	cis_int(geteuid(), uid, "euid is nobody's");
	cis_int(getgroups(0, NULL), 0, "no supplementary groups");
	cok(setuid(0) < 0, "cannot become root again");
	fd = open("/marker", O_RDONLY);
	cok(fd >= 0, "/marker from the chroot is visible at /");
	if (fd >= 0)
		close(fd);
	cok(open("/etc/passwd", O_RDONLY) < 0, "/etc/passwd is not");
	check_caps(keep);
}

static void
run_case(const char *what, void (*fn)(void))
{
	int rfd;
	pid_t pid = child_start(&rfd);

	if (pid == 0) {
		alarm(10);
		fn();
		_exit(0);
	}
	child_collect(pid, rfd, 15000, what);
}

static void
keep_net_admin(void)
{
	case_chroot_nobody(true);
}

static void
drop_all(void)
{
	case_chroot_nobody(false);
}

static void
no_user(void)
{
	cis_int(privdrop(NULL, NULL, true), 0, "privdrop(NULL, NULL, keep)");
	cis_int(getuid(), 0, "uid unchanged");
	check_caps(true);
}

static void
refusals(void)
{
	cis_int(privdrop("no-such-user-shipworm", NULL, false), -ENOENT,
		"unknown user: -ENOENT");
	cis_int(privdrop("root", NULL, false), -EINVAL,
		"dropping to root: -EINVAL");
	cis_int(privdrop("nobody", "/nonexistent-shipworm", false), -ENOENT,
		"missing chroot directory: -ENOENT");
	cis_int(getuid(), 0, "nothing changed on failure before the drop");
}

int
main(void)
{
	char marker[128];
	FILE *f;

	if (geteuid() != 0)
		skip_all("needs root");
	if (getpwnam("nobody") == NULL)
		skip_all("no user nobody");
	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	chmod(dir, 0755);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	f = fopen(marker, "w");
	if (f != NULL)
		fclose(f);
	run_case("keep CAP_NET_ADMIN", keep_net_admin);
	run_case("drop everything", drop_all);
	run_case("no user", no_user);
	run_case("refusals", refusals);
	unlink(marker);
	rmdir(dir);
	return done_testing();
}
