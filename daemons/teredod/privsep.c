/* teredod's privileged parent and the engine's side of the channel.  See
 * privsep.h. */
#include "privsep.h"

#include <signal.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/socket.h>

#include "sys/ev.h"
#include "sys/fd.h"
#include "sys/ipc.h"
#include "sys/log.h"
#include "sys/privdrop.h"
#include "sys/proc.h"
#include "sys/rtnl.h"
#include "sys/seccomp.h"

/* Longer than any one rtnetlink call the parent makes (rtnl.h). */
#define PRIVSEP_ANSWER_MS (2 * RTNL_TIMEOUT_MS + 1000)
/* How long the parent waits for the engine to end before SIGKILL. */
#define PRIVSEP_STOP_MS 3000

/*
 * The engine: what it does once set up (sys/seccomp.h adds the base: the
 * loop, memory, time, syslog).  No socket but syslog's and the RFC 6081
 * random ports' (UDP, ephemeral ports), no exec, no file.
 */
static const char *const engine_syscalls[] = {
	"recvmmsg",
	"sendmmsg",
	"recvmsg",
	"sendmsg", /* UDP, the channel */
	"recvfrom",
	"accept4",
	"getsockopt",
	"shutdown", /* teredoctl */
	"pwrite64",
	"ftruncate",
	"fdatasync", /* the state file (state.h) */
	/* RFC 6081 random ports (randport.h): UDP sockets on port 0. */
	"bind",
	"setsockopt",
	"getsockname",
};
/* The parent: rtnetlink requests, the channel, the engine's end. */
static const char *const parent_syscalls[] = {
	"bind",	      "getsockname", "recvfrom", "recvmsg", "sendmsg",
	"setsockopt", "getsockopt",  "wait4",	 "kill",
};
/* syslog; RFC 6081 random ports (unprivileged: ephemeral UDP ports) */
static const int engine_families[] = {AF_UNIX, AF_INET};
static const int parent_families[] = {AF_UNIX, AF_NETLINK};
static const unsigned long parent_ioctls[] = {SIOCGIFINDEX}; /* rtnl */

static const struct seccomp_policy engine_seccomp = {
	.allow = engine_syscalls,
	.n_allow = ARRAY_SIZE(engine_syscalls),
	.socket_families = engine_families,
	.n_socket_families = ARRAY_SIZE(engine_families),
};
static const struct seccomp_policy parent_seccomp = {
	.allow = parent_syscalls,
	.n_allow = ARRAY_SIZE(parent_syscalls),
	.socket_families = parent_families,
	.n_socket_families = ARRAY_SIZE(parent_families),
	.ioctls = parent_ioctls,
	.n_ioctls = ARRAY_SIZE(parent_ioctls),
};

static int
send_msg(int fd, const struct privsep_msg *m)
{
	uint8_t buf[PRIVSEP_MSG_MAX];
	size_t len;
	int rc;

	if ((rc = privsep_msg_write(m, buf, sizeof(buf), &len)) < 0)
		return rc;
	return ipc_send(fd, buf, len);
}

/* ---- The parent ---- */

/* Does what an allowed request asks; records it for the clean-up. */
static int
parent_apply(struct privsep *ps, const struct privsep_msg *m)
{
	int rc = -EINVAL;

	switch (m->type) {
	case PRIVSEP_READY:
		ps->engine_ready = true;
		return daemon_report_ready(ps->cli);
	case PRIVSEP_ADDR_ADD:
		rc = rtnl_addr6_add(ps->ifname, m->addr, m->prefix_len);
		if (rc == 0) {
			ps->have_addr = true;
			memcpy(ps->addr, m->addr, sizeof(ps->addr));
		}
		return rc;
	case PRIVSEP_ADDR_DEL:
		rc = rtnl_addr6_del(ps->ifname, m->addr, m->prefix_len);
		if (rc == 0 || rc == -EADDRNOTAVAIL)
			ps->have_addr = false;
		return rc;
	case PRIVSEP_ROUTE_ADD:
		rc = rtnl_route6_add(ps->ifname, m->addr, m->prefix_len,
				     m->metric);
		if (rc == 0 || rc == -EEXIST) {
			if (m->prefix_len == 0)
				ps->have_default = true;
			else
				ps->have_prefix = true;
		}
		return rc;
	case PRIVSEP_ROUTE_DEL:
		rc = rtnl_route6_del(ps->ifname, m->addr, m->prefix_len,
				     m->metric);
		if (rc == 0 || rc == -ESRCH) {
			if (m->prefix_len == 0)
				ps->have_default = false;
			else
				ps->have_prefix = false;
		}
		return rc;
	case PRIVSEP_LINK:
		return m->up ? rtnl_link_up(ps->ifname, m->mtu)
			     : rtnl_link_down(ps->ifname);
	case PRIVSEP_ANSWER:
		break;
	}
	return rc;
}

static void
parent_on_msg(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct privsep *ps = arg;
	uint8_t buf[PRIVSEP_MSG_MAX];
	struct privsep_msg m, answer = {.type = PRIVSEP_ANSWER};
	size_t len;
	int rc;

	(void)events;
	if ((rc = ipc_recv(fd, buf, sizeof(buf), &len, 0)) == -ETIMEDOUT)
		return;
	if (rc == -ECONNRESET) {
		log_info("the engine has ended");
		ev_stop(loop);
		return;
	}
	/* Fail closed: an engine that speaks nonsense is not ours anymore. */
	if (rc < 0 || (rc = privsep_msg_read(buf, len, &m)) < 0) {
		log_err(rc, "privsep: malformed message from the engine: "
			    "stopping");
		ps->engine_failed = true;
		ev_stop(loop);
		return;
	}
	answer.seq = m.seq;
	if ((rc = privsep_check(&ps->policy, &m)) < 0) {
		ps->refused++;
		log_warn(rc,
			 "privsep: refused request of type %u from the "
			 "engine",
			 (unsigned)m.type);
		answer.error = rc;
	} else {
		answer.error = parent_apply(ps, &m);
	}
	if (send_msg(fd, &answer) < 0)
		ev_stop(loop);
}

static void
parent_on_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)arg;
	if (signo == SIGCHLD)
		log_info("the engine has exited");
	else
		log_info("signal %d: exiting", signo);
	ev_stop(loop);
}

/* Removes what the engine had set up, stops it and reaps it. */
static int
parent_stop(struct privsep *ps)
{
	static const uint8_t any[16];
	uint8_t buf[PRIVSEP_MSG_MAX];
	size_t len;
	int status = 0, signo = 0, rc;

	if (ps->have_default &&
	    rtnl_route6_del(ps->ifname, any, 0, ps->policy.default_metric) < 0)
		log_warn(0, "cannot remove the default route");
	if (ps->have_addr && rtnl_addr6_del(ps->ifname, ps->addr, 32) < 0)
		log_warn(0, "cannot remove the address");
	if (ps->have_prefix &&
	    rtnl_route6_del(ps->ifname, ps->prefix, 32, 0) < 0 &&
	    ps->policy.relay)
		log_warn(0, "cannot withdraw the Teredo prefix");
	if (proc_kill(ps->peer, SIGTERM) < 0) {
		/* Already gone (-ESRCH): only the reaping is left. */
	}
	/* The engine's end closes when it exits. */
	do
		rc = ipc_recv(ps->fd, buf, sizeof(buf), &len, PRIVSEP_STOP_MS);
	while (rc == 0);
	if (rc == -ETIMEDOUT) {
		log_warn(0, "the engine does not stop: SIGKILL");
		if (proc_kill(ps->peer, SIGKILL) < 0)
			log_warn(0, "cannot kill the engine");
	}
	if (proc_wait(ps->peer, &status, &signo) < 0)
		return 1;
	if (ps->engine_failed || !ps->engine_ready)
		return 1;
	return signo == SIGTERM || (signo == 0 && status == 0) ? 0 : 1;
}

static int
parent_run(struct privsep *ps)
{
	int rc;

	if ((rc = ev_open(&ps->loop)) < 0 ||
	    (rc = ev_fd_add(ps->loop, ps->fd, EV_READ, parent_on_msg, ps)) <
		    0 ||
	    (rc = ev_signal(ps->loop, SIGTERM, parent_on_signal, ps)) < 0 ||
	    (rc = ev_signal(ps->loop, SIGINT, parent_on_signal, ps)) < 0 ||
	    (rc = ev_signal(ps->loop, SIGCHLD, parent_on_signal, ps)) < 0) {
		log_err(rc, "privileged parent");
		ps->engine_failed = true;
		return parent_stop(ps);
	}
	/* CAP_NET_ADMIN is all the parent keeps (rtnetlink). */
	if ((rc = daemon_drop(ps->cli, true)) < 0 ||
	    (seccomp_policy_enabled() &&
	     (rc = seccomp_policy_apply(&parent_seccomp)) < 0)) {
		log_err(rc, "privileged parent: lockdown");
		ps->engine_failed = true;
		return parent_stop(ps);
	}
	if ((rc = ev_run(ps->loop)) < 0)
		log_err(rc, "privileged parent: loop");
	rc = parent_stop(ps);
	if (ps->refused > 0)
		log_warn(0, "privsep: %llu requests refused",
			 (unsigned long long)ps->refused);
	ev_close(ps->loop);
	return rc;
}

int
privsep_start(struct privsep *ps, struct daemon_cli *cli,
	      const struct privsep_policy *policy, const char *ifname,
	      bool prefix_routed, bool *is_engine)
{
	int pair[2], rc;
	pid_t pid;
	uint32_t top = policy->prefix;

	memset(ps, 0, sizeof(*ps));
	ps->fd = -1;
	ps->cli = cli;
	ps->policy = *policy;
	*is_engine = false;
	if (strlen(ifname) >= sizeof(ps->ifname))
		return -ENAMETOOLONG;
	memcpy(ps->ifname, ifname, strlen(ifname) + 1);
	ps->have_prefix = prefix_routed;
	ps->prefix[0] = (uint8_t)(top >> 24);
	ps->prefix[1] = (uint8_t)(top >> 16);
	ps->prefix[2] = (uint8_t)(top >> 8);
	ps->prefix[3] = (uint8_t)top;
	if ((rc = ipc_pair(pair)) < 0)
		return rc;
	ps->peer = ipc_self_pid();
	if ((rc = proc_fork(&pid)) < 0) {
		fd_close(pair[0]);
		fd_close(pair[1]);
		return rc;
	}
	if (pid == 0) {
		fd_close(pair[0]);
		ps->fd = pair[1];
		*is_engine = true;
		return 0;
	}
	fd_close(pair[1]);
	ps->fd = pair[0];
	ps->peer = pid;
	return parent_run(ps);
}

/* ---- The engine ---- */

static void
engine_on_parent(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	/* The parent never speaks first: this is its end closing. */
	log_err(0, "the privileged parent is gone: exiting");
	ev_stop(loop);
}

int
privsep_request(struct privsep *ps, struct privsep_msg *m)
{
	uint8_t buf[PRIVSEP_MSG_MAX];
	struct privsep_msg answer;
	size_t len;
	int rc;

	m->seq = ++ps->seq;
	if ((rc = send_msg(ps->fd, m)) < 0 ||
	    (rc = ipc_recv(ps->fd, buf, sizeof(buf), &len, PRIVSEP_ANSWER_MS)) <
		    0 ||
	    (rc = privsep_msg_read(buf, len, &answer)) < 0)
		return rc;
	if (answer.type != PRIVSEP_ANSWER || answer.seq != m->seq)
		return -EPROTO;
	return answer.error;
}

int
privsep_engine_lockdown(struct privsep *ps, struct ev_loop *loop)
{
	struct privsep_msg ready = {.type = PRIVSEP_READY};
	int rc;

	if ((rc = daemon_drop(ps->cli, false)) < 0)
		return rc;
	if ((rc = privdrop_parent_death_signal(SIGTERM, ps->peer)) < 0) {
		log_err(rc, "the privileged parent is gone");
		return rc;
	}
	if (seccomp_policy_enabled() &&
	    (rc = seccomp_policy_apply(&engine_seccomp)) < 0) {
		log_err(rc, "cannot install the seccomp filter");
		return rc;
	}
	if ((rc = ev_fd_add(loop, ps->fd, EV_READ, engine_on_parent, ps)) < 0)
		return rc;
	if ((rc = privsep_request(ps, &ready)) < 0)
		log_err(rc, "the privileged parent did not take READY");
	return rc;
}
