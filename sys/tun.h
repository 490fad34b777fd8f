/*
 * The TUN device that carries the Teredo interface's IPv6 packets.
 *
 * IFF_TUN | IFF_NO_PI: each read() is one IP packet, each write() injects
 * one; there is no packet-information prefix, so the kernel infers the
 * protocol from the version nibble (the daemon must still check for 6:
 * nothing stops an IPv4 packet from being routed to the interface).
 *
 * The caller owns the fd: tun_open() hands it over, tun_close() ends it,
 * and the interface disappears with the last fd (it is not persistent).
 * Configure it with sys/rtnl.h; creating one needs CAP_NET_ADMIN.
 */
#ifndef SHIPWORM_SYS_TUN_H
#define SHIPWORM_SYS_TUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/err.h"

/* IFNAMSIZ, including the terminating NUL. */
#define TUN_NAME_MAX 16

/*
 * Creates (or attaches to) the TUN interface name ("teredo"; NULL or ""
 * lets the kernel pick "tun%d") and stores its actual name in out_name
 * and its nonblocking, close-on-exec fd in *fd.  -ENAMETOOLONG, -EPERM
 * without CAP_NET_ADMIN, -EBUSY if name is another kind of interface or
 * in use, or -errno from open()/ioctl(TUNSETIFF).
 */
MUST_CHECK int tun_open(const char *name, char out_name[static TUN_NAME_MAX],
			int *fd);

/*
 * As tun_open(), with IFF_VNET_HDR: every packet read or written is
 * preceded by a 10-byte little-endian virtio-net header (lib/wire/gso.h;
 * TUNSETVNETHDRSZ, TUNSETVNETLE), and the device offers the offloads of
 * `offloads` (TUN_F_* of <linux/if_tun.h>, e.g. TUN_F_CSUM | TUN_F_TSO6)
 * through TUNSETOFFLOAD, so the stack hands over TCP super-packets of up to
 * 64 KiB and leaves checksums partial (<linux/if_tun.h>, and set_offload()
 * in drivers/net/tun.c).  Any refusal closes the fd and returns its -errno
 * (-EINVAL from a kernel that does not know an offload bit): the caller
 * then falls back to tun_open().
 */
MUST_CHECK int tun_open_offload(const char *name,
				char out_name[static TUN_NAME_MAX], int *fd,
				unsigned offloads);

/* Closes fd (negative is a no-op). */
void tun_close(int fd);

/*
 * Reads one packet into buf; *len is its length.  The kernel truncates a
 * packet longer than cap silently, so a packet that fills buf exactly is
 * reported as -EMSGSIZE (with *len = cap): give cap > MTU (65536 is
 * always enough).  -EAGAIN when no packet is waiting.
 */
MUST_CHECK int tun_read(int fd, void *buf, size_t cap, size_t *len);

/*
 * Injects one IP packet.  -EAGAIN if the kernel queue is full, -EINVAL for
 * a packet that is not IPv4/IPv6, or another -errno.
 */
MUST_CHECK int tun_write(int fd, const void *buf, size_t len);

/*
 * Injects one packet gathered from iov[0..n) (with IFF_VNET_HDR: the
 * virtio-net header, then the packet), without copying it together first.
 * Errors as tun_write().
 */
MUST_CHECK int tun_writev(int fd, const struct iovec *iov, int n);

#endif
