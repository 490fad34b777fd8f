/*
 * A minimal TAP producer (https://testanything.org) for the unit tests, so
 * that `meson test` counts every check.  Header-only; one test file is one
 * program.
 */
#ifndef SHIPWORM_TESTS_TAP_H
#define SHIPWORM_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3))) static inline bool
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_int(got, want, ...)                                                \
	do {                                                                  \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		if (!ok(got_ == want_, __VA_ARGS__))                          \
			printf("#   got %lld, want %lld\n", got_, want_);     \
	} while (0)

static inline void
tap_hex(const char *label, const uint8_t *p, size_t n)
{
	printf("#   %s (%zu):", label, n);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 16 == 0 ? "\n#     " : " ", p[i]);
	printf("\n");
}

static inline bool
is_mem(const void *got, size_t got_len, const void *want, size_t want_len,
       const char *what)
{
	bool same = got_len == want_len && memcmp(got, want, want_len) == 0;

	if (!ok(same, "%s", what)) {
		tap_hex("got", got, got_len);
		tap_hex("want", want, want_len);
	}
	return same;
}

/* Parses "01 02 ab" style hex (spaces and colons ignored) into buf. */
static inline size_t
unhex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				abort();
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		abort();
	return n;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif
