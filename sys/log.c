/*
 * stderr / syslog logging.  See log.h.
 */
#include "sys/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"

static struct {
	const char *ident;
	bool syslog;
	bool debug;
} log_state = {"shipworm", false, false};

void
log_init(const char *ident)
{
	if (ident != NULL && ident[0] != '\0')
		log_state.ident = ident;
}

void
log_use_syslog(void)
{
	openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.syslog = true;
}

void
log_set_debug(bool on)
{
	log_state.debug = on;
}

/* Copies src into dst[0..cap) with non-printable bytes as \xNN. */
static size_t
log_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p != '\0';
	     p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			if (n + 1 >= cap)
				break;
			dst[n++] = (char)*p;
		} else {
			if (n + 4 >= cap)
				break;
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[*p >> 4];
			dst[n++] = hex[*p & 0xf];
		}
	}
	dst[n] = '\0';
	return n;
}

__attribute__((format(printf, 3, 0))) static void
log_emit(int prio, int err, const char *fmt, va_list ap)
{
	static const char *const names[] = {[LOG_ERR] = "error",
					    [LOG_WARNING] = "warn",
					    [LOG_INFO] = "info",
					    [LOG_DEBUG] = "debug"};
	char msg[LOG_LINE_MAX], esc[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	const char *name = "";
	int n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	(void)log_escape(esc, sizeof(esc), msg);
	if (prio >= 0 && (size_t)prio < ARRAY_SIZE(names) &&
	    names[prio] != NULL)
		name = names[prio];
	if (err != 0) {
		char eb[128];
		const char *es;

		/* GNU strerror_r: returns the text, maybe not in eb. */
		es = strerror_r(err < 0 ? -err : err, eb, sizeof(eb));
		n = snprintf(msg, sizeof(msg), "%s: %s", esc, es);
		if (n < 0)
			return;
	} else {
		memcpy(msg, esc, strlen(esc) + 1);
	}
	if (log_state.syslog) {
		syslog(prio, "%s: %s", name, msg);
		return;
	}
	{
		struct timespec ts = {0};
		struct tm tm;
		char stamp[32];

		if (clock_gettime(CLOCK_REALTIME, &ts) < 0 ||
		    gmtime_r(&ts.tv_sec, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) ==
			    0)
			stamp[0] = '\0';
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s: %s: %s\n",
			     stamp, ts.tv_nsec / 1000000L, log_state.ident,
			     name, msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line: concurrent writers never interleave a line. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_state.debug)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, err, fmt, ap);
	va_end(ap);
}
