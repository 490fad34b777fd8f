/*
 * sys/rand: getrandom() fills buffers of every size, and two draws
 * differ (a constant or all-zero output would be a broken CSPRNG).
 */
#include "sys_test.h"
#include "sys/rand.h"

int
main(void)
{
	static uint8_t big[65536];
	uint8_t a[32], b[32], zero[32] = {0};
	size_t ones = 0;

	is_int(rand_bytes(a, sizeof(a)), 0, "32 bytes");
	is_int(rand_bytes(b, sizeof(b)), 0, "32 more");
	ok(memcmp(a, b, sizeof(a)) != 0, "two draws differ");
	ok(memcmp(a, zero, sizeof(a)) != 0, "not all zero");
	is_int(rand_bytes(a, 0), 0, "0 bytes is fine");
	is_int(rand_bytes(big, sizeof(big)), 0,
	       "64 KiB (getrandom returns short above 256 bytes)");
	for (size_t i = 0; i < sizeof(big); i++)
		ones += (size_t)__builtin_popcount(big[i]);
	/* 524288 fair bits: mean 262144, sd 362; 20 sd either way. */
	ok(ones > 262144 - 7240 && ones < 262144 + 7240,
	   "bit balance plausible (%zu ones of 524288)", ones);
	ok(memcmp(big + sizeof(big) - 32, zero, 32) != 0,
	   "the tail of a long draw is filled too");
	return done_testing();
}
