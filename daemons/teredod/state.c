/* teredod's Teredo address across restarts.  See state.h. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"
#include "sys/statefile.h"
#include "teredo/addr.h"

#define STATE_PATH_MAX 4096

void
state_restore(struct teredod_state *s, const char *ifname,
	      struct teredo_client *c)
{
	const char *dir = getenv("STATE_DIRECTORY");
	char path[STATE_PATH_MAX], text[IP6_ADDR_TEXT_LEN + 2];
	char mapped[IP6_ADDR_TEXT_LEN];
	struct teredo_addr t;
	size_t len;
	int n, rc;

	s->fd = -1;
	s->have_saved = false;
	if (dir == NULL || dir[0] == '\0' || c->cfg.relay)
		return;
	/* systemd may list several directories, separated by ':'. */
	n = snprintf(path, sizeof(path), "%.*s/teredod-%s.state",
		     (int)strcspn(dir, ":"), dir, ifname);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warn(-ENAMETOOLONG, "state file in %s", dir);
		return;
	}
	if ((rc = statefile_open(path, &s->fd)) < 0) {
		log_warn(rc,
			 "state file %s: the address is not kept across "
			 "restarts",
			 path);
		s->fd = -1;
		return;
	}
	if ((rc = statefile_read(s->fd, text, sizeof(text), &len)) < 0 ||
	    len == 0)
		return;
	/* One address on one line, as state_save() writes it. */
	if (text[len - 1] == '\n')
		text[len - 1] = '\0';
	else
		text[0] = '\0'; /* a torn or foreign file */
	if (ip6_addr_parse(text, &s->saved) < 0 ||
	    teredo_addr_read(&s->saved, &t) < 0 ||
	    !teredo_flags_valid(t.flags)) {
		log_warn(0, "state file %s: not a Teredo address, ignored",
			 path);
		return;
	}
	s->have_saved = true;
	if (t.server_ipv4 != c->cfg.server_ipv4) {
		log_info("state: %s was for another server, not reused", text);
		return;
	}
	teredo_client_restore_flags(c, t.mapped_ipv4, t.mapped_port, t.flags);
	snprintf(mapped, sizeof(mapped), "%u.%u.%u.%u:%u", t.mapped_ipv4 >> 24,
		 t.mapped_ipv4 >> 16 & 255, t.mapped_ipv4 >> 8 & 255,
		 t.mapped_ipv4 & 255, t.mapped_port);
	log_info("state: %s again if the mapping is still %s", text, mapped);
}

void
state_save(struct teredod_state *s, const struct ip6_addr *addr)
{
	char text[IP6_ADDR_TEXT_LEN + 1];
	size_t len;
	int rc;

	if (s->fd < 0 || (s->have_saved && ip6_addr_equal(&s->saved, addr)))
		return;
	ip6_addr_format(addr, text);
	len = strlen(text);
	text[len++] = '\n';
	if ((rc = statefile_write(s->fd, text, len)) < 0) {
		log_warn(rc, "cannot save the address");
		return;
	}
	s->saved = *addr;
	s->have_saved = true;
}

void
state_close(struct teredod_state *s)
{
	statefile_close(s->fd);
	s->fd = -1;
}
