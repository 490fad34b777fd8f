/* Clock, path and text helpers for assist (assist.h); processes and
 * files are sys/proc.c and sys/path.c. */
#include "assist.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
self_exe(void)
{
	static char path[PATH_MAX];

	if (path[0] != '\0')
		return path;
	if (proc_self_exe(path, sizeof(path)) < 0)
		return "assist";
	return path;
}

void
sanitize(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (; *in != '\0' && o + 1 < cap; in++)
		out[o++] = (*in >= 0x20 && *in <= 0x7e) ? *in : '?';
	out[o] = '\0';
}

int
invitation_load(const char *arg, struct assist_invite *inv,
		struct assist_invite_err *err)
{
	static char buf[ASSIST_FILE_MAX];
	size_t len = 0;
	int rc;

	if (strncmp(arg, ASSIST_INVITE_LINE_PREFIX,
		    strlen(ASSIST_INVITE_LINE_PREFIX)) == 0)
		return assist_invite_parse(arg, strlen(arg), inv, err);
	rc = path_read(arg, buf, sizeof(buf), &len);
	if (rc == -EFBIG) {
		err->line = 0;
		err->why = "file longer than 4096 bytes";
		return -EMSGSIZE;
	}
	if (rc < 0)
		return rc == -ENOENT ? -ENOENT : rc;
	return assist_invite_parse(buf, len, inv, err);
}
