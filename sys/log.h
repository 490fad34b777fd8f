/*
 * Daemon logging: one line per event to stderr with a UTC timestamp, or to
 * syslog (facility daemon) once the daemon detaches.
 *
 *   2024-05-01T12:00:00.123Z teredod: warn: cannot send: Network is unreachable
 *
 * House rule 11: a dropped packet bumps a counter, not a log line; and the
 * formatted message is escaped (bytes outside printable ASCII become
 * \xNN), so text from the network can never forge lines or terminal
 * sequences.  Lines longer than LOG_LINE_MAX are cut.  Not thread-safe.
 */
#ifndef SHIPWORM_SYS_LOG_H
#define SHIPWORM_SYS_LOG_H

#include <stdbool.h>

#define LOG_LINE_MAX 1024

/* Sets the program name shown on each line (default "shipworm"). */
void log_init(const char *ident);

/*
 * Sends every later line to syslog.  Opens the connection to /dev/log at
 * once (LOG_NDELAY), so call it before privdrop() hides /dev/log in a
 * chroot.
 */
void log_use_syslog(void);

/* Shows log_debug() lines (default: hidden). */
void log_set_debug(bool on);

__attribute__((format(printf, 1, 2))) void log_debug(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);

/*
 * err is 0 (nothing appended) or an error code, negative as returned by
 * Shipworm functions or a positive errno; its strerror() text is appended
 * after ": ".
 */
__attribute__((format(printf, 2, 3))) void log_warn(int err, const char *fmt,
						    ...);
__attribute__((format(printf, 2, 3))) void log_err(int err, const char *fmt,
						   ...);

#endif
