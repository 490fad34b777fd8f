/*
 * TUN device.  See tun.h for the contract.
 */
#include "sys/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

_Static_assert(TUN_NAME_MAX == IFNAMSIZ, "TUN_NAME_MAX is IFNAMSIZ");

static int
tun_open_flags(const char *name, char out_name[static TUN_NAME_MAX], int *fd,
	       short flags)
{
	struct ifreq ifr;
	int tfd;

	*fd = -1;
	out_name[0] = '\0';
	memset(&ifr, 0, sizeof(ifr));
	if (name != NULL) {
		size_t n = strlen(name);

		if (n >= sizeof(ifr.ifr_name))
			return -ENAMETOOLONG;
		memcpy(ifr.ifr_name, name, n);
	}
	/* No packet-information header: one read is one bare packet. */
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | flags);
	tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	if (ioctl(tfd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		(void)close(tfd);
		return err;
	}
	memcpy(out_name, ifr.ifr_name, TUN_NAME_MAX);
	out_name[TUN_NAME_MAX - 1] = '\0';
	*fd = tfd;
	return 0;
}

int
tun_open(const char *name, char out_name[static TUN_NAME_MAX], int *fd)
{
	return tun_open_flags(name, out_name, fd, 0);
}

int
tun_open_offload(const char *name, char out_name[static TUN_NAME_MAX], int *fd,
		 unsigned offloads)
{
	int hdr_len = 10; /* struct virtio_net_hdr, no num_buffers */
	int le = 1;
	int rc;

	if ((rc = tun_open_flags(name, out_name, fd, IFF_VNET_HDR)) < 0)
		return rc;
	/* Little-endian header whatever the host (Virtio 1.0 byte order). */
	if (ioctl(*fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
	    ioctl(*fd, TUNSETVNETLE, &le) < 0 ||
	    ioctl(*fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0) {
		rc = -errno;
		(void)close(*fd);
		*fd = -1;
		out_name[0] = '\0';
		return rc;
	}
	return 0;
}

void
tun_close(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

int
tun_read(int fd, void *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	n = read(fd, buf, cap);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* TUN truncates silently: a full buffer may have been too small. */
	if ((size_t)n == cap && cap > 0) {
		*len = (size_t)n;
		return -EMSGSIZE;
	}
	*len = (size_t)n;
	return 0;
}

int
tun_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n != len)
		return -EIO; /* TUN writes are all-or-nothing; never expected */
	return 0;
}

int
tun_writev(int fd, const struct iovec *iov, int n)
{
	size_t want = 0;
	ssize_t got;

	for (int i = 0; i < n; i++)
		want += iov[i].iov_len;
	got = writev(fd, iov, n);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)got != want)
		return -EIO; /* all-or-nothing, as tun_write() */
	return 0;
}
