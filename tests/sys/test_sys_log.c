/*
 * sys/log: lines on stderr carry a timestamp, the ident, the level and,
 * for log_warn/log_err, strerror of the code; attacker bytes come out
 * escaped; debug lines are hidden until enabled.
 */
#include <fcntl.h>

#include "sys_test.h"
#include "sys/log.h"

int
main(void)
{
	char buf[4096], tmpl[] = "/tmp/shipworm-log-XXXXXX";
	int fd, saved;
	ssize_t n;
	size_t lines = 0;

	fd = mkstemp(tmpl);
	if (fd < 0)
		skip_all("mkstemp failed");
	unlink(tmpl);
	saved = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);

	log_init("testd");
	log_info("hello %d", 42);
	log_warn(-ECONNREFUSED, "send to %s", "192.0.2.1");
	log_err(EPERM, "fatal");
	log_warn(0, "no code");
	log_info("evil \x1b[31mred\nforged: line\\");
	log_debug("hidden");
	log_set_debug(true);
	log_debug("shown");

	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	printf("# captured:\n");
	for (char *p = buf; *p != '\0'; p++) {
		if (p == buf || p[-1] == '\n')
			printf("#   ");
		putchar(*p);
		lines += *p == '\n';
	}
	is_int(lines, 6, "six lines (debug hidden until enabled)");
	ok(strstr(buf, "Z testd: info: hello 42\n") != NULL,
	   "timestamp, ident, level, message");
	ok(buf[4] == '-' && buf[10] == 'T' && buf[19] == '.',
	   "ISO 8601 timestamp with milliseconds");
	ok(strstr(buf, "warn: send to 192.0.2.1: Connection refused\n") != NULL,
	   "log_warn appends strerror of a negative code");
	ok(strstr(buf, "error: fatal: Operation not permitted\n") != NULL,
	   "log_err appends strerror of a positive code");
	ok(strstr(buf, "warn: no code\n") != NULL, "code 0 appends nothing");
	ok(strstr(buf, "evil \\x1b[31mred\\x0aforged: line\\x5c\n") != NULL,
	   "control bytes, newline and backslash escaped");
	ok(strchr(buf, '\x1b') == NULL, "no raw escape byte written");
	ok(strstr(buf, "hidden") == NULL && strstr(buf, "debug: shown\n"),
	   "debug gated by log_set_debug");
	return done_testing();
}
