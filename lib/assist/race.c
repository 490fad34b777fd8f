/* The Helper's candidate race, RFC 8305 pacing (race.h). */
#include "assist/race.h"

#include <string.h>

void
assist_race_init(struct assist_race *r, const struct assist_cand *cand,
		 unsigned n, uint64_t now_ms, uint32_t delay_ms,
		 uint32_t timeout_ms)
{
	unsigned v6[ASSIST_CAND_MAX], v4[ASSIST_CAND_MAX];
	unsigned n6 = 0, n4 = 0, i6 = 0, i4 = 0;

	memset(r, 0, sizeof(*r));
	if (n > ASSIST_CAND_MAX)
		n = ASSIST_CAND_MAX;
	for (unsigned i = 0; i < n; i++)
		if (cand[i].is_v6)
			v6[n6++] = i;
	/* IPv4: a router's mapping (global, reachable from anywhere) before
	 * the host's own addresses (mostly private: reachable on its LAN). */
	for (unsigned i = 0; i < n; i++)
		if (!cand[i].is_v6 && assist_cand_is_mapped(cand[i].kind))
			v4[n4++] = i;
	for (unsigned i = 0; i < n; i++)
		if (!cand[i].is_v6 && !assist_cand_is_mapped(cand[i].kind))
			v4[n4++] = i;
	/* RFC 8305 §4: interleave the families, preferred (IPv6) first. */
	while (r->n < n) {
		if (i6 < n6)
			r->order[r->n++] = v6[i6++];
		if (i4 < n4)
			r->order[r->n++] = v4[i4++];
	}
	r->delay_ms = delay_ms < ASSIST_RACE_DELAY_MIN_MS
			      ? ASSIST_RACE_DELAY_MIN_MS
			      : delay_ms;
	r->next_start_ms = now_ms;
	r->deadline_ms = now_ms + timeout_ms;
	r->winner = -1;
}

enum assist_race_action
assist_race_poll(struct assist_race *r, uint64_t now_ms, unsigned *index,
		 uint64_t *wake_ms)
{
	bool running = false;

	if (r->winner >= 0) {
		*index = (unsigned)r->winner;
		return ASSIST_RACE_WON;
	}
	if (now_ms >= r->deadline_ms) {
		for (unsigned i = 0; i < r->n; i++)
			if (r->state[i] == ASSIST_ATTEMPT_RUNNING) {
				r->state[i] = ASSIST_ATTEMPT_FAILED;
				r->error[i] = -ETIMEDOUT;
			}
		return ASSIST_RACE_FAILED;
	}
	if (r->started < r->n && now_ms >= r->next_start_ms) {
		*index = r->order[r->started++];
		r->state[*index] = ASSIST_ATTEMPT_RUNNING;
		/* RFC 8305 §5: earlier attempts keep running. */
		r->next_start_ms = now_ms + r->delay_ms;
		return ASSIST_RACE_START;
	}
	for (unsigned i = 0; i < r->n; i++)
		running |= r->state[i] == ASSIST_ATTEMPT_RUNNING;
	if (!running && r->started == r->n)
		return ASSIST_RACE_FAILED;
	*wake_ms = r->deadline_ms;
	if (r->started < r->n && r->next_start_ms < *wake_ms)
		*wake_ms = r->next_start_ms;
	return ASSIST_RACE_WAIT;
}

void
assist_race_result(struct assist_race *r, unsigned index, int err,
		   uint64_t now_ms)
{
	if (index >= r->n || r->state[index] != ASSIST_ATTEMPT_RUNNING)
		return;
	if (err == 0) {
		if (r->winner < 0) {
			r->winner = (int)index;
			r->state[index] = ASSIST_ATTEMPT_WON;
		}
		return;
	}
	r->state[index] = ASSIST_ATTEMPT_FAILED;
	r->error[index] = err;
	/* RFC 8305 §5: a failure starts the next attempt at once. */
	if (r->next_start_ms > now_ms)
		r->next_start_ms = now_ms;
}
