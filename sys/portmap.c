/* Port-mapping I/O: miniupnpc, libnatpmp, a UDP exchange (portmap.h). */
#include "sys/portmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <natpmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sys/ev.h"

static bool
parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

int
portmap_upnp_discover(int timeout_ms, struct portmap_upnp *u)
{
	struct UPNPDev *devs;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[64] = "", ext[64] = "";
	int err = 0, r;

	/*
	 * upnpDiscover()'s four search types, but all sent at once and
	 * answered within one timeout (searchalltypes = 1): without an IGD
	 * the search takes timeout_ms, not four times it (teredod waits for
	 * it before qualifying, assist offer before its invitation).
	 */
	static const char *const types[] = {
		"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
		"urn:schemas-upnp-org:service:WANIPConnection:1",
		"urn:schemas-upnp-org:service:WANPPPConnection:1",
		"upnp:rootdevice",
		NULL,
	};

	memset(u, 0, sizeof(*u));
	devs = upnpDiscoverDevices(types, timeout_ms, NULL, NULL,
				   UPNP_LOCAL_PORT_ANY, 0, 2, &err, 1);
	if (devs == NULL)
		return -ENOENT;
	memset(&urls, 0, sizeof(urls));
	memset(&data, 0, sizeof(data));
#if MINIUPNPC_API_VERSION >= 18
	r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof(lan), NULL, 0);
#else
	r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof(lan));
#endif
	freeUPNPDevlist(devs);
	if (r <= 0)
		return -ENOENT;
	u->found = true;
	u->connected = (r == 1);
	(void)parse_ipv4(lan, &u->lan_ipv4);
	if (urls.controlURL != NULL)
		snprintf(u->control_url, sizeof(u->control_url), "%s",
			 urls.controlURL);
	snprintf(u->service_type, sizeof(u->service_type), "%s",
		 data.first.servicetype);
	r = UPNP_GetExternalIPAddress(u->control_url, u->service_type, ext);
	if (r == UPNPCOMMAND_SUCCESS) {
		ext[sizeof(ext) - 1] = '\0';
		if (!parse_ipv4(ext, &u->external_ipv4)) {
			u->external_ipv4 = 0;
			u->external_garbage = true;
		}
	} else {
		u->external_garbage = true;
	}
	FreeUPNPUrls(&urls);
	return 0;
}

struct portmap_upnp_job {
	pthread_t thread;
	int timeout_ms, rc;
	struct portmap_upnp u;
	pthread_mutex_t lock;
	bool done;
};

static void *
upnp_thread(void *arg)
{
	struct portmap_upnp_job *j = arg;
	struct portmap_upnp u;
	int rc = portmap_upnp_discover(j->timeout_ms, &u);

	pthread_mutex_lock(&j->lock);
	j->u = u;
	j->rc = rc;
	j->done = true;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

int
portmap_upnp_start(int timeout_ms, struct portmap_upnp_job **job)
{
	struct portmap_upnp_job *j = calloc(1, sizeof(*j));
	int r;

	if (j == NULL)
		return -ENOMEM;
	j->timeout_ms = timeout_ms;
	pthread_mutex_init(&j->lock, NULL);
	r = pthread_create(&j->thread, NULL, upnp_thread, j);
	if (r != 0) {
		free(j);
		return -r;
	}
	*job = j;
	return 0;
}

bool
portmap_upnp_is_done(struct portmap_upnp_job *j)
{
	bool done;

	pthread_mutex_lock(&j->lock);
	done = j->done;
	pthread_mutex_unlock(&j->lock);
	return done;
}

int
portmap_upnp_finish(struct portmap_upnp_job *j, int wait_ms,
		    struct portmap_upnp *out)
{
	uint64_t end = sys_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
	int rc;

	/* Bounded: poll the flag every 10 ms until wait_ms passes. */
	while (!portmap_upnp_is_done(j) && sys_now_ms() < end)
		ev_nap_us(10000);
	if (!portmap_upnp_is_done(j)) {
		/* The thread owns j now; the process exits soon. */
		pthread_detach(j->thread);
		memset(out, 0, sizeof(*out));
		return -ETIMEDOUT;
	}
	pthread_join(j->thread, NULL);
	*out = j->u;
	rc = j->rc;
	pthread_mutex_destroy(&j->lock);
	free(j);
	return rc;
}

int
portmap_upnp_add(const struct portmap_upnp *u, const char *proto,
		 uint16_t ext_port, uint16_t int_port, uint32_t lease_s,
		 const char *desc)
{
	char ext[8], in[8], lease[16], lan[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(u->lan_ipv4)};
	int r;

	snprintf(ext, sizeof(ext), "%u", ext_port);
	snprintf(in, sizeof(in), "%u", int_port);
	snprintf(lease, sizeof(lease), "%u", lease_s);
	inet_ntop(AF_INET, &a, lan, sizeof(lan));
	r = UPNP_AddPortMapping(u->control_url, u->service_type, ext, in, lan,
				desc, proto, NULL, lease);
	return r == UPNPCOMMAND_SUCCESS ? 0 : r > 0 ? r : -EPROTO;
}

int
portmap_upnp_delete(const struct portmap_upnp *u, const char *proto,
		    uint16_t ext_port)
{
	char ext[8];
	int r;

	snprintf(ext, sizeof(ext), "%u", ext_port);
	r = UPNP_DeletePortMapping(u->control_url, u->service_type, ext, proto,
				   NULL);
	return r == UPNPCOMMAND_SUCCESS ? 0 : r > 0 ? r : -EPROTO;
}

int
portmap_upnp_exists(const struct portmap_upnp *u, const char *proto,
		    uint16_t ext_port, bool *exists)
{
	char ext[8], client[64] = "", port[8] = "", desc[80] = "",
		     enabled[8] = "", lease[16] = "";
	int r;

	snprintf(ext, sizeof(ext), "%u", ext_port);
	r = UPNP_GetSpecificPortMappingEntry(u->control_url, u->service_type,
					     ext, proto, NULL, client, port,
					     desc, enabled, lease);
	*exists = (r == UPNPCOMMAND_SUCCESS);
	/* 714 NoSuchEntryInArray: an answer, not an error. */
	return r == UPNPCOMMAND_SUCCESS || r == 714 ? 0 : r > 0 ? r : -EPROTO;
}

/* Waits for libnatpmp's answer, bounded by end_ms. */
static int
natpmp_wait(natpmp_t *n, uint64_t end_ms, natpmpresp_t *resp)
{
	for (unsigned i = 0; i < 1000; i++) {
		struct timeval tv;
		struct pollfd pf = {.fd = n->s, .events = POLLIN};
		uint64_t now = sys_now_ms();
		int wait, r;

		if (now >= end_ms)
			return -ETIMEDOUT;
		if (getnatpmprequesttimeout(n, &tv) < 0)
			return -EIO;
		wait = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
		if (wait < 1)
			wait = 1;
		if ((uint64_t)wait > end_ms - now)
			wait = (int)(end_ms - now);
		(void)poll(&pf, 1, wait);
		r = readnatpmpresponseorretry(n, resp);
		if (r == NATPMP_TRYAGAIN)
			continue;
		return r;
	}
	return -ETIMEDOUT;
}

int
portmap_natpmp_external(uint32_t gw, int timeout_ms, uint32_t *ext, int *result)
{
	natpmp_t n;
	natpmpresp_t resp;
	int r;

	*result = 0;
	if (initnatpmp(&n, 1, htonl(gw)) < 0)
		return -EIO;
	if (sendpublicaddressrequest(&n) < 0) {
		closenatpmp(&n);
		return -EIO;
	}
	r = natpmp_wait(&n, sys_now_ms() + (uint64_t)timeout_ms, &resp);
	closenatpmp(&n);
	if (r == -ETIMEDOUT)
		return r;
	if (r < 0) {
		*result = r;
		return r == NATPMP_ERR_UNSUPPORTEDVERSION ||
				       r == NATPMP_ERR_UNSUPPORTEDOPCODE ||
				       r == NATPMP_ERR_NOTAUTHORIZED ||
				       r == NATPMP_ERR_NETWORKFAILURE ||
				       r == NATPMP_ERR_OUTOFRESOURCES
			       ? -EPROTO
			       : -EBADMSG;
	}
	*ext = ntohl(resp.pnu.publicaddress.addr.s_addr);
	return 0;
}

int
portmap_natpmp_map(uint32_t gw, bool tcp, uint16_t int_port, uint16_t ext_port,
		   uint32_t lifetime_s, int timeout_ms, uint16_t *ext_port_out,
		   uint32_t *lifetime_out, int *result)
{
	natpmp_t n;
	natpmpresp_t resp;
	int r;

	*result = 0;
	if (initnatpmp(&n, 1, htonl(gw)) < 0)
		return -EIO;
	if (sendnewportmappingrequest(
		    &n, tcp ? NATPMP_PROTOCOL_TCP : NATPMP_PROTOCOL_UDP,
		    int_port, ext_port, lifetime_s) < 0) {
		closenatpmp(&n);
		return -EIO;
	}
	r = natpmp_wait(&n, sys_now_ms() + (uint64_t)timeout_ms, &resp);
	closenatpmp(&n);
	if (r == -ETIMEDOUT)
		return r;
	if (r < 0) {
		*result = r;
		return -EPROTO;
	}
	*ext_port_out = resp.pnu.newportmapping.mappedpublicport;
	*lifetime_out = resp.pnu.newportmapping.lifetime;
	return 0;
}

int
portmap_udp_exchange(uint32_t ip, uint16_t port, const uint8_t *req,
		     size_t req_len, uint8_t *resp, size_t cap,
		     size_t *resp_len, int timeout_ms,
		     portmap_accept_fn *accept, void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	uint64_t end = sys_now_ms() + (uint64_t)timeout_ms, next = 0;
	unsigned rto = 250;
	int fd, err = -ETIMEDOUT;

	sa.sin_addr.s_addr = htonl(ip);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t now = sys_now_ms();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (now >= end)
			break;
		if (now >= next) {
			(void)sendto(fd, req, req_len, 0,
				     (struct sockaddr *)&sa, sizeof(sa));
			next = now + rto;
			rto *= 2;
		}
		(void)poll(&pf, 1, (int)((next < end ? next : end) - now));
		n = recvfrom(fd, resp, cap, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		/* RFC 6887 §8.3: only answers from the server's address. */
		if (from.sin_addr.s_addr != sa.sin_addr.s_addr ||
		    from.sin_port != sa.sin_port)
			continue;
		if (accept == NULL || accept(resp, (size_t)n, arg)) {
			*resp_len = (size_t)n;
			err = 0;
			break;
		}
	}
	close(fd);
	return err;
}
