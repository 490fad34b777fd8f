/*
 * The Helper's side of an RFB (VNC, RFC 6143) connection, filtered on its
 * way to the User's VNC server (issue 13): the offer forwards the Helper's
 * viewer to the server byte for byte, but while the Helper has no control
 * the messages that act on the User's desktop are taken out of the
 * stream: KeyEvent (4), PointerEvent (5), ClientCutText (6, the User's
 * clipboard), xvp (250: shutdown, reboot), SetDesktopSize (251) and QEMU
 * extended key events (255/0).  The decision is made per message, at its
 * first byte, from the `input` the caller gives with the bytes: a revoke
 * applies to the very next message, whatever the server does.
 *
 * Fail closed: the client's stream is parsed completely (version, the
 * security type, ClientInit, then every message's length), and a
 * version, security type or message type not known here is an error,
 * after which nothing more passes (the forward must close): a stream the
 * filter cannot follow could hide input.  Known: RFB 3.3, 3.7, 3.8;
 * security types None (1) and VNC authentication (2, its 16-byte answer);
 * with 3.3 the server chooses and the servers the offer starts offer None
 * only.  Messages 0, 2, 3, 4, 5, 6 (also the extended clipboard's
 * negative length), 150 (EnableContinuousUpdates), 248 (Fence), 250,
 * 251, 255 subtype 0.
 *
 * Sans-I/O, streaming: bytes in any split.  Each unit's header (the
 * version, the security type, the answer, ClientInit, a message's first
 * 1 to 9 bytes that give its length) is held until complete and known
 * good, then passes (or not); a message's body passes as it comes.
 */
#ifndef SHIPWORM_ASSIST_RFBFILTER_H
#define SHIPWORM_ASSIST_RFBFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ASSIST_RFB_HDR_MAX 16 /* the VNC authentication answer */

enum assist_rfb_phase {
	ASSIST_RFB_VERSION,
	ASSIST_RFB_SECTYPE,
	ASSIST_RFB_AUTH,
	ASSIST_RFB_INIT,
	ASSIST_RFB_MSG,
	ASSIST_RFB_BAD,
};

#define ASSIST_RFB_OUT_MAX(n) ((n) + ASSIST_RFB_HDR_MAX)

struct assist_rfb_filter {
	enum assist_rfb_phase phase;
	uint8_t hdr[ASSIST_RFB_HDR_MAX]; /* the current unit's header so far */
	size_t hlen, hneed;		 /* header bytes held, needed */
	uint64_t body;			 /* bytes of the unit still to come */
	bool drop;			 /* the current message is taken out */
	uint8_t minor;			 /* RFB 3.minor */
	uint64_t msgs, dropped;		 /* messages seen, taken out */
};

void assist_rfb_filter_init(struct assist_rfb_filter *f);

/*
 * Feeds n bytes of the Helper's stream; the bytes the server may have are
 * written to out (room for ASSIST_RFB_OUT_MAX(n) bytes: a handshake unit
 * held from earlier calls may complete), their count to *out_len.  input:
 * whether the Helper's input messages pass (the Helper has control).
 * Returns 0, or -EPROTO when the stream is not RFB as known here; then
 * *out_len counts what passed before (no byte of the unit it could
 * not follow) and every later call fails.
 */
MUST_CHECK int assist_rfb_filter_feed(struct assist_rfb_filter *f, bool input,
				      const uint8_t *in, size_t n, uint8_t *out,
				      size_t *out_len);

/* Whether message type t acts on the User's desktop (taken out unless
 * the Helper has control). */
bool assist_rfb_is_input(uint8_t t);

#endif
