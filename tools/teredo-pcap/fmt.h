/* Text forms shared by the expectation file and the human-readable dump. */
#ifndef TEREDO_PCAP_FMT_H
#define TEREDO_PCAP_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_IPV4_LEN 16 /* "255.255.255.255" and its NUL */
#define FMT_IP6_LEN 46	/* what ip6_addr_format() needs */

/*
 * Lower-case hex without separators, as tshark prints byte fields;
 * truncated (still terminated) when `cap` is too small.
 */
void fmt_hex(char *out, size_t cap, const uint8_t *bytes, size_t len);

/* Dotted quad of a host-order address. */
void fmt_ipv4(char out[static FMT_IPV4_LEN], uint32_t ipv4);

#endif
