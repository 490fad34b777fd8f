/* The human-readable listing: what we built, and how our codec reads it. */
#ifndef TEREDO_PCAP_DUMP_H
#define TEREDO_PCAP_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "catalog.h"
#include "teredo/packet.h"

/*
 * Prints frame `frame_no`: its name and flow, a hex dump of the `len`
 * payload bytes, then `pkt` (their teredo_packet_read result) field by
 * field, with teredo_rs_read or teredo_ra_read for an RS or RA.  Returns
 * the reader's error when the codec rejects its own output.
 */
MUST_CHECK int dump_packet(FILE *f, unsigned frame_no, const struct pkt_spec *s,
			   const uint8_t *payload, size_t len,
			   const struct teredo_packet *pkt);

#endif
