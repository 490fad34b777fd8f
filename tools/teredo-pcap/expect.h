/*
 * One row of Wireshark field values per frame: the answer key the
 * Wireshark test compares `tshark -T fields` output against.  The file's
 * first column is the packet's name, for messages; every other column is
 * named after a tshark field, each cell written exactly as tshark prints
 * the field, and an empty cell means the field must be absent.
 */
#ifndef TEREDO_PCAP_EXPECT_H
#define TEREDO_PCAP_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "catalog.h"
#include "teredo/packet.h"

/* X(identifier, tshark field name), in file order. */
#define ROW_COLUMNS(X)                                          \
	X(FRAME, "frame.number")                                \
	X(IP_SRC, "ip.src")                                     \
	X(IP_DST, "ip.dst")                                     \
	X(IP_TTL, "ip.ttl")                                     \
	X(IP_DF, "ip.flags.df")                                 \
	X(IP_CSUM, "ip.checksum.status")                        \
	X(UDP_SRCPORT, "udp.srcport")                           \
	X(UDP_DSTPORT, "udp.dstport")                           \
	X(UDP_CSUM, "udp.checksum.status")                      \
	/* From here on, our own decoder can fill the cells. */ \
	X(UDP_LEN, "udp.length")                                \
	X(AUTH_IDLEN, "teredo.auth.idlen")                      \
	X(AUTH_AULEN, "teredo.auth.aulen")                      \
	X(AUTH_ID, "teredo.auth.id")                            \
	X(AUTH_VALUE, "teredo.auth.value")                      \
	X(AUTH_NONCE, "teredo.auth.nonce")                      \
	X(AUTH_CONF, "teredo.auth.conf")                        \
	X(ORIG_PORT, "teredo.orig.port")                        \
	X(ORIG_ADDR, "teredo.orig.addr")                        \
	X(IP6_PLEN, "ipv6.plen")                                \
	X(IP6_NXT, "ipv6.nxt")                                  \
	X(IP6_HLIM, "ipv6.hlim")                                \
	X(IP6_SRC, "ipv6.src")                                  \
	X(IP6_DST, "ipv6.dst")                                  \
	X(IP6_SRC_SERVER, "ipv6.src_ts_ipv4")                   \
	X(IP6_SRC_PORT, "ipv6.src_tc_port")                     \
	X(IP6_SRC_CLIENT, "ipv6.src_tc_ipv4")                   \
	X(IP6_DST_SERVER, "ipv6.dst_ts_ipv4")                   \
	X(IP6_DST_PORT, "ipv6.dst_tc_port")                     \
	X(IP6_DST_CLIENT, "ipv6.dst_tc_ipv4")                   \
	X(ICMP6_TYPE, "icmpv6.type")                            \
	X(ICMP6_CODE, "icmpv6.code")                            \
	X(ICMP6_CSUM, "icmpv6.checksum.status")                 \
	X(ECHO_ID, "icmpv6.echo.identifier")                    \
	X(ECHO_SEQ, "icmpv6.echo.sequence_number")              \
	X(ECHO_DATA, "data.data")                               \
	X(RA_RETRANS, "icmpv6.nd.ra.retrans_timer")             \
	X(RA_PREFIX, "icmpv6.opt.prefix")                       \
	X(RA_PREFIX_LEN, "icmpv6.opt.prefix.length")            \
	X(RA_MTU, "icmpv6.opt.mtu")

#define ROW_ENUM(id, name) COL_##id,
enum col { ROW_COLUMNS(ROW_ENUM) COL_COUNT };
#undef ROW_ENUM

/* The columns that depend only on the UDP payload. */
#define COL_PAYLOAD_FIRST COL_UDP_LEN

#define ROW_CELL_MAX 96

struct row {
	char cell[COL_COUNT][ROW_CELL_MAX];
	bool truncated; /* a value did not fit: a bug in this tool */
};

/* What Wireshark should show for frame `frame_no` built from `s`. */
MUST_CHECK int row_from_spec(const struct pkt_spec *s, unsigned frame_no,
			     struct row *r);

/*
 * The payload columns as our own codec reads `len` bytes back (`pkt` is
 * their teredo_packet_read result); cells before COL_PAYLOAD_FIRST stay
 * empty.  -EBADMSG when the ICMPv6 message does not validate.
 */
MUST_CHECK int row_from_decode(const struct teredo_packet *pkt, size_t len,
			       struct row *r);

/* First column from `first` on where the rows differ, or COL_COUNT. */
enum col row_diff(const struct row *a, const struct row *b, enum col first);

const char *col_name(enum col c);

/* Tab-separated; the header line holds "name" and the field names. */
void row_print_header(FILE *f);
void row_print(FILE *f, const char *name, const struct row *r);

#endif
