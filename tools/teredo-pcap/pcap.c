/* Ethernet/IPv4/UDP framing and libpcap output for teredo-pcap. */
#include "pcap.h"

#include <errno.h>

#include "wire/ip6.h"
#include "wire/wr.h"

#define ETHERTYPE_IPV4 0x0800
#define IPV4_PROTO_UDP 17
#define IPV4_VERSION_IHL 0x45 /* version 4, 5 words: no options */

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_SNAPLEN 65535
#define PCAP_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16
#define LINKTYPE_ETHERNET 1

/*
 * Made-up but stable MAC addresses, so two runs give identical files:
 * a locally administered unicast address that spells the IPv4 address
 * (02:00:c0:00:02:2d for 192.0.2.45), or for a multicast group the
 * RFC 1112 §6.4 mapping that a real sender would use.
 */
static void
mac_write(struct wr *wr, uint32_t ipv4)
{
	if (ipv4 >> 28 == 0xe) {
		wr_u8(wr, 0x01);
		wr_u16(wr, 0x005e);
		wr_u8(wr, (uint8_t)(ipv4 >> 16 & 0x7f));
		wr_u16(wr, (uint16_t)ipv4);
	} else {
		wr_u16(wr, 0x0200);
		wr_u32(wr, ipv4);
	}
}

/* RFC 768: the checksum covers a pseudo-header, the header and the data. */
static uint16_t
udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
	uint8_t pseudo[12];
	uint16_t csum;
	struct wr wr;

	wr_init(&wr, pseudo, sizeof(pseudo));
	wr_u32(&wr, src);
	wr_u32(&wr, dst);
	wr_u8(&wr, 0);
	wr_u8(&wr, IPV4_PROTO_UDP);
	wr_u16(&wr, (uint16_t)len);
	csum = inet_csum_fold(inet_csum_add(
		inet_csum_add(0, pseudo, sizeof(pseudo)), udp, len));
	/* A computed 0 goes out as ffff: 0 on the wire means "no checksum". */
	return csum == 0 ? 0xffff : csum;
}

int
frame_write(uint8_t *buf, size_t cap, const struct endpoint *src,
	    const struct endpoint *dst, uint8_t ttl, uint16_t ip_id,
	    const uint8_t *payload, size_t len, size_t *out_len)
{
	size_t udp_len = UDP_HEADER_LEN + len;
	size_t ip_start, udp_start;
	struct wr wr;

	if (len > UINT16_MAX - IPV4_HEADER_LEN - UDP_HEADER_LEN)
		return -EMSGSIZE;
	wr_init(&wr, buf, cap);
	mac_write(&wr, dst->ipv4);
	mac_write(&wr, src->ipv4);
	wr_u16(&wr, ETHERTYPE_IPV4);

	ip_start = wr.off;
	wr_u8(&wr, IPV4_VERSION_IHL);
	wr_u8(&wr, 0); /* DSCP/ECN */
	wr_u16(&wr, (uint16_t)(IPV4_HEADER_LEN + udp_len));
	wr_u16(&wr, ip_id);
	wr_u16(&wr, 0); /* DF clear (RFC 4380 §5.1.2), not a fragment */
	wr_u8(&wr, ttl);
	wr_u8(&wr, IPV4_PROTO_UDP);
	wr_u16(&wr, 0); /* checksum, patched below */
	wr_u32(&wr, src->ipv4);
	wr_u32(&wr, dst->ipv4);

	udp_start = wr.off;
	wr_u16(&wr, src->port);
	wr_u16(&wr, dst->port);
	wr_u16(&wr, (uint16_t)udp_len);
	wr_u16(&wr, 0); /* checksum, patched below */
	wr_bytes(&wr, payload, len);
	if (wr_status(&wr) < 0)
		return -ENOBUFS;

	wr_patch_u16(&wr, ip_start + 10,
		     inet_csum_fold(inet_csum_add(0, buf + ip_start,
						  IPV4_HEADER_LEN)));
	wr_patch_u16(&wr, udp_start + 6,
		     udp_csum(src->ipv4, dst->ipv4, buf + udp_start, udp_len));
	*out_len = wr.off;
	return 0;
}

static int
write_all(FILE *f, const void *buf, size_t len)
{
	if (fwrite(buf, 1, len, f) != len)
		return errno != 0 ? -errno : -EIO;
	return 0;
}

/*
 * Headers are written big-endian whatever the host: readers accept either
 * byte order (the magic tells them), and the file is then byte-identical
 * on every machine.
 */
int
pcap_write_header(FILE *f)
{
	uint8_t hdr[PCAP_HEADER_LEN];
	struct wr wr;

	wr_init(&wr, hdr, sizeof(hdr));
	wr_u32(&wr, PCAP_MAGIC_USEC);
	wr_u16(&wr, PCAP_VERSION_MAJOR);
	wr_u16(&wr, PCAP_VERSION_MINOR);
	wr_u32(&wr, 0); /* thiszone: timestamps are UTC */
	wr_u32(&wr, 0); /* sigfigs */
	wr_u32(&wr, PCAP_SNAPLEN);
	wr_u32(&wr, LINKTYPE_ETHERNET);
	if (wr_status(&wr) < 0)
		return -ENOBUFS;
	return write_all(f, hdr, wr.off);
}

int
pcap_write_record(FILE *f, uint64_t usec, const uint8_t *frame, size_t len)
{
	uint8_t hdr[PCAP_RECORD_HEADER_LEN];
	struct wr wr;
	int rc;

	if (len > PCAP_SNAPLEN || usec / 1000000 > UINT32_MAX)
		return -EOVERFLOW;
	wr_init(&wr, hdr, sizeof(hdr));
	wr_u32(&wr, (uint32_t)(usec / 1000000));
	wr_u32(&wr, (uint32_t)(usec % 1000000));
	wr_u32(&wr, (uint32_t)len); /* captured */
	wr_u32(&wr, (uint32_t)len); /* on the wire */
	if (wr_status(&wr) < 0)
		return -ENOBUFS;
	if ((rc = write_all(f, hdr, wr.off)) < 0)
		return rc;
	return write_all(f, frame, len);
}
