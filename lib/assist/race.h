/*
 * The Helper's connection race (issue 5; MS-RA §3.1.5: "the expert MUST
 * attempt connecting to all Port and IP Address pairs ... The first
 * successful TCP connection MUST be used"), paced as Happy Eyeballs v2
 * does (RFC 8305): address families interleaved (§4), one new attempt per
 * Connection Attempt Delay without cancelling earlier ones, the next one at
 * once when an attempt fails (§5), first to connect wins.
 *
 * Sans-I/O: the caller starts and watches the sockets; this says which
 * candidate to try next and when to wake up, from a monotonic now_ms.
 *
 *   assist_race_init(&r, inv.cand, inv.cand_count, now, 250, 15000);
 *   for (;;) switch (assist_race_poll(&r, now, &i, &wake)) {
 *   case ASSIST_RACE_START: connect to cand[i]; break;
 *   case ASSIST_RACE_WAIT:  poll sockets until wake; report each result
 *                           with assist_race_result(); break;
 *   case ASSIST_RACE_WON:   use cand[i]; close the others; return;
 *   case ASSIST_RACE_FAILED: print every r.error[]; return;
 *   }
 */
#ifndef SHIPWORM_ASSIST_RACE_H
#define SHIPWORM_ASSIST_RACE_H

#include <stdint.h>

#include "assist/invite.h"

/* RFC 8305 §8: recommended 250 ms; §5: SHOULD NOT be below 100 ms. */
#define ASSIST_RACE_DELAY_MS 250
#define ASSIST_RACE_DELAY_MIN_MS 100
#define ASSIST_RACE_TIMEOUT_MS 15000

enum assist_attempt {
	ASSIST_ATTEMPT_IDLE, /* not started (yet) */
	ASSIST_ATTEMPT_RUNNING,
	ASSIST_ATTEMPT_FAILED, /* error[] says why: -errno */
	ASSIST_ATTEMPT_WON,
};

enum assist_race_action {
	ASSIST_RACE_START,  /* start candidate *index now */
	ASSIST_RACE_WAIT,   /* nothing to do before *wake_ms */
	ASSIST_RACE_WON,    /* candidate *index connected first */
	ASSIST_RACE_FAILED, /* every attempt failed, or the deadline passed */
};

struct assist_race {
	unsigned n;
	unsigned order[ASSIST_CAND_MAX]; /* candidate indexes, attempt order */
	unsigned started;		 /* order[0..started) have started */
	enum assist_attempt state[ASSIST_CAND_MAX]; /* by candidate index */
	int error[ASSIST_CAND_MAX];		    /* by candidate index */
	uint64_t next_start_ms;
	uint64_t deadline_ms;
	uint32_t delay_ms;
	int winner; /* -1 until one connects */
};

/*
 * Orders n candidates (at most ASSIST_CAND_MAX; more are ignored): IPv6
 * first, then the families alternate, each in the invitation's order
 * (RFC 8305 §4, First Address Family Count 1), except that in the IPv4
 * family a router's mapping (upnp, natpmp, pcp: a global address, the one
 * a Helper elsewhere on the Internet can reach) comes before the host's
 * own addresses (usually private: only a Helper on the same LAN reaches
 * them, and that one loses at most one Connection Attempt Delay).  delay_ms below
 * ASSIST_RACE_DELAY_MIN_MS is raised to it; the race fails timeout_ms
 * after now_ms.
 */
void assist_race_init(struct assist_race *r, const struct assist_cand *cand,
		      unsigned n, uint64_t now_ms, uint32_t delay_ms,
		      uint32_t timeout_ms);

/* What to do at now_ms (see above).  At the deadline, running attempts
 * fail with -ETIMEDOUT. */
enum assist_race_action assist_race_poll(struct assist_race *r, uint64_t now_ms,
					 unsigned *index, uint64_t *wake_ms);

/* An attempt ended: err 0 connected, else -errno. */
void assist_race_result(struct assist_race *r, unsigned index, int err,
			uint64_t now_ms);

#endif
