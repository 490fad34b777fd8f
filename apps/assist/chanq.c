/*
 * Bounded queues between the Helper's channels and local fds (issue 10
 * points 1, 3, 5).  Toward the Helper: only what the SSH window allows
 * (RFC 4254 §5.2), so a Helper who stops reading fills the window, then
 * this queue, then the source stops being read: backpressure, never a
 * blocked loop.  Toward local fds: non-blocking writes, the rest kept.
 */
#include "offer.h"

#include <string.h>

#include "sys/fd.h"

size_t
chanq_space(const struct chanq *q)
{
	return sizeof(q->buf) - q->len;
}

void
chanq_reset(struct chanq *q)
{
	q->head = q->len = 0;
	q->eof = false; /* the filter stays: the stream goes on */
}

static size_t chanq_push_raw(struct chanq *q, const void *data, size_t n);

size_t
chanq_room(const struct chanq *q)
{
	size_t space = chanq_space(q);

	/* A filter may release a held header with the next byte. */
	if (q->rfb != NULL)
		return space > ASSIST_RFB_HDR_MAX ? space - ASSIST_RFB_HDR_MAX
						  : 0;
	return space;
}

/* The Helper's viewer toward the desktop: through the RFB filter, the
 * control decision taken now (offer_desktop.c), at the bytes' arrival. */
static size_t
chanq_push_rfb(struct chanq *q, const uint8_t *p, size_t n)
{
	uint8_t out[ASSIST_RFB_OUT_MAX(4096)];
	size_t done = 0;

	while (done < n && !q->rfb_bad) {
		size_t k = n - done, got;

		/* What passes never exceeds the space left. */
		if (k > chanq_room(q))
			k = chanq_room(q);
		if (k == 0)
			break;
		if (k > 4096)
			k = 4096;
		if (assist_rfb_filter_feed(q->rfb, desktop_may_input(),
					   p + done, k, out, &got) < 0)
			q->rfb_bad = true;
		(void)chanq_push_raw(q, out, got);
		done += k;
	}
	/* After a bad stream everything is taken, and dropped. */
	return q->rfb_bad ? n : done;
}

size_t
chanq_push(struct chanq *q, const void *data, size_t n)
{
	return q->rfb != NULL ? chanq_push_rfb(q, data, n)
			      : chanq_push_raw(q, data, n);
}

static size_t
chanq_push_raw(struct chanq *q, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t done = 0;

	if (n > chanq_space(q))
		n = chanq_space(q);
	while (done < n) {
		size_t tail = (q->head + q->len) % sizeof(q->buf);
		size_t run = sizeof(q->buf) - tail;

		if (run > n - done)
			run = n - done;
		memcpy(q->buf + tail, p + done, run);
		q->len += run;
		done += run;
	}
	return done;
}

/* The contiguous bytes at the head. */
static size_t
chanq_run(const struct chanq *q)
{
	size_t run = sizeof(q->buf) - q->head;

	return run < q->len ? run : q->len;
}

static void
chanq_pop(struct chanq *q, size_t n)
{
	q->head = (q->head + n) % sizeof(q->buf);
	q->len -= n;
	if (q->len == 0)
		q->head = 0;
}

int
chanq_to_channel(struct chanq *q, ssh_channel ch)
{
	while (q->len > 0) {
		uint32_t win = ssh_channel_window_size(ch);
		size_t n = chanq_run(q);
		int w;

		if (win == 0)
			return 0; /* the Helper is not reading: wait */
		if (n > win)
			n = win;
		/* Non-blocking session: queued in libssh within the window,
		 * never waited for. */
		w = ssh_channel_write(ch, q->buf + q->head, (uint32_t)n);
		if (w == SSH_ERROR)
			return -EIO;
		if (w <= 0)
			return 0;
		chanq_pop(q, (size_t)w);
	}
	return 0;
}

int
chanq_to_fd(struct chanq *q, int fd)
{
	while (q->len > 0) {
		size_t n;
		int rc = fd_write(fd, q->buf + q->head, chanq_run(q), &n);

		if (rc == -EAGAIN)
			return 0;
		if (rc < 0)
			return rc;
		chanq_pop(q, n);
	}
	return 0;
}

void
chanq_from_channel(struct chanq *q, ssh_channel ch)
{
	uint8_t buf[16384];

	/* Also after the Helper's close: what it sent before still counts. */
	while (chanq_room(q) > 0) {
		/* First the poll: it may run the data callback, which fills
		 * q; only then is the room known (and the read below does
		 * not poll again while libssh holds data). */
		int avail = ssh_channel_poll(ch, 0), r;
		size_t want = chanq_room(q);

		if (avail <= 0 || want == 0)
			return;
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > (size_t)avail)
			want = (size_t)avail;
		r = ssh_channel_read_nonblocking(ch, buf, (uint32_t)want, 0);
		if (r <= 0)
			return;
		(void)chanq_push(q, buf, (size_t)r); /* r <= room: all goes */
	}
}

bool
chanq_overrun(ssh_channel ch)
{
	/* libssh buffers what a peer sends past the window it was given
	 * (and only logs it): a Helper doing so is cut off. */
	return ssh_channel_poll(ch, 0) > CHANQ_OVERRUN;
}
