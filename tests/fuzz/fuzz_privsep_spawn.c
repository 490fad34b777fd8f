/*
 * privsep_spawn_read() on arbitrary datagrams, as assist offer's spawner
 * receives them from a possibly captured engine (and the engine the
 * spawner's answers); what parses is checked against two policies (never
 * crashes; what passes is one of the kinds), written back and must come
 * out byte for byte the same.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "privsep/spawn.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct privsep_spawn_policy policies[] = {
		{.tmux_sock = "/tmp/x/tmux.sock"},
		{.tmux_sock = "/tmp/x/tmux.sock",
		 .files = true,
		 .files_rw = true,
		 .display = ":7",
		 .vnc_sock = "/tmp/x/vnc.sock",
		 .vnc_log = "/tmp/x/x11vnc.log",
		 .dialogs = true},
		{.tmux_sock = "/tmp/x/tmux.sock",
		 .vnc_sock = "/tmp/x/vnc.sock",
		 .vnc_log = "/tmp/x/wayvnc.log",
		 .wayvnc_conf = "/tmp/x/wayvnc.conf"},
	};
	static uint8_t out[PRIVSEP_SPAWN_MSG_MAX];
	struct privsep_spawn_msg m, m2;
	size_t len;

	if (privsep_spawn_read(data, size, &m) < 0)
		return 0;
	FUZZ_CHECK(privsep_spawn_fd_count(&m) <= PRIVSEP_SPAWN_FDS_MAX);
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		int rc = privsep_spawn_check(&policies[i], &m);

		FUZZ_CHECK(rc == 0 || rc == -EPERM);
		FUZZ_CHECK(rc != 0 || m.type != PRIVSEP_SPAWN_ANSWER);
		/* Nothing passes for what the first policy does not allow. */
		FUZZ_CHECK(rc != 0 || i != 0 || m.kind == PRIVSEP_SPAWN_TMUX ||
			   m.kind == PRIVSEP_SPAWN_TMUX_PTY ||
			   m.type == PRIVSEP_SPAWN_KILL ||
			   m.type == PRIVSEP_SPAWN_WAIT);
	}
	FUZZ_CHECK(privsep_spawn_write(&m, out, sizeof(out), &len) == 0 &&
		   len == size && memcmp(out, data, size) == 0);
	FUZZ_CHECK(privsep_spawn_read(out, len, &m2) == 0 &&
		   m2.type == m.type && m2.seq == m.seq && m2.argc == m.argc &&
		   m2.error == m.error && m2.data_len == m.data_len);
	return 0;
}
