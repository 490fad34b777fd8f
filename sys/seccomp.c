/* seccomp allowlists with libseccomp.  See seccomp.h. */
#include "sys/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "base/err.h"

/* What any event-loop process of ours needs once set up. */
static const char *const seccomp_base[] = {
	/* exit, and abort() (raise: getpid, gettid, tgkill, rt_sigaction) */
	"exit",
	"exit_group",
	"rt_sigreturn",
	"rt_sigprocmask",
	"rt_sigaction",
	"getpid",
	"gettid",
	"tgkill",
	"restart_syscall",
	/* memory (malloc) */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"madvise",
	"mprotect",
	/* time and sleeping (the loop's clock, ev_nap_us) */
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"time",
	/* the loop: epoll, signalfd reads, descriptors already open */
	"epoll_wait",
	"epoll_pwait",
	"epoll_ctl",
	"read",
	"readv",
	"write",
	"writev",
	"close",
	"fcntl",
	"fstat",
	"newfstatat",
	"lseek",
	"poll",
	"ppoll",
	/* nonces (RFC 5991 §4) */
	"getrandom",
	/* log lines: stderr, or syslog's datagram socket */
	"sendto",
	"sendmsg",
	"connect",
	"futex",
};

/* Calls libc makes by itself that we refuse without killing: syslog()
 * reads /etc/localtime and reopens /dev/log, neither reachable after a
 * chroot anyway. */
static const char *const seccomp_refuse_always[] = {
	"open",
	"openat",
	"unlink",
};

static int
seccomp_add_names(scmp_filter_ctx ctx, uint32_t action,
		  const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		/* A call this architecture does not have (time, poll on
		 * arm64): nothing to allow. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, action, nr, 0)) < 0)
			return rc;
	}
	return 0;
}

/* Argument ARG equals VALUE (libseccomp's SCMP_A0() leaves datum_b to
 * an implicit zero, which clang's -Wmissing-field-initializers rejects). */
static struct scmp_arg_cmp
arg_eq(unsigned arg, scmp_datum_t value)
{
	struct scmp_arg_cmp c = {
		.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value, .datum_b = 0};

	return c;
}

int
seccomp_policy_apply(const struct seccomp_policy *p)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc;

	if (ctx == NULL)
		return -ENOMEM;
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 ||
	    (rc = seccomp_add_names(ctx, SCMP_ACT_ALLOW, seccomp_base,
				    ARRAY_SIZE(seccomp_base))) < 0 ||
	    (rc = seccomp_add_names(ctx, SCMP_ACT_ALLOW, p->allow,
				    p->n_allow)) < 0 ||
	    (rc = seccomp_add_names(ctx, SCMP_ACT_ERRNO(EPERM),
				    seccomp_refuse_always,
				    ARRAY_SIZE(seccomp_refuse_always))) < 0 ||
	    (rc = seccomp_add_names(ctx, SCMP_ACT_ERRNO(EPERM), p->refuse,
				    p->n_refuse)) < 0)
		goto out;
	for (size_t i = 0; i < p->n_socket_families; i++)
		if ((rc = seccomp_rule_add(
			     ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
			     arg_eq(0, (scmp_datum_t)p->socket_families[i]))) <
		    0)
			goto out;
	for (size_t i = 0; i < p->n_ioctls; i++)
		if ((rc = seccomp_rule_add(
			     ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			     arg_eq(1, (scmp_datum_t)p->ioctls[i]))) < 0)
			goto out;
	/* Every other family: refused, not fatal (libc probes some). */
	for (int fam = 0; fam < AF_MAX; fam++) {
		bool allowed = false;

		for (size_t i = 0; i < p->n_socket_families; i++)
			allowed = allowed || p->socket_families[i] == fam;
		if (!allowed &&
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					   SCMP_SYS(socket), 1,
					   arg_eq(0, (scmp_datum_t)fam))) < 0)
			goto out;
	}
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc < 0 ? rc : 0;
}

bool
seccomp_policy_enabled(void)
{
#if SHIPWORM_SECCOMP
	return true;
#else
	return false;
#endif
}
