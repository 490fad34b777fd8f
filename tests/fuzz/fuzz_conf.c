/*
 * lib/conf on arbitrary bytes, read both as miredo.conf and as
 * miredo-server.conf.  The text is a heap copy of exactly `size` bytes
 * without a NUL, so ASan sees any read past `len`.  A refusal must come
 * with a one-line, escaped "file:line: message"; an accepted file must
 * satisfy the documented ranges, format to a canonical text that parses
 * back to the same struct, and that text must format to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "fuzz_common.h"

#define FILE_NAME "fuzz.conf"

/* One line, prefixed with the file name, no raw control bytes. */
static void
check_err(const char *err)
{
	size_t n = strnlen(err, CONF_ERR_LEN);

	FUZZ_CHECK(n > 0 && n < CONF_ERR_LEN);
	FUZZ_CHECK(strncmp(err, FILE_NAME ":", strlen(FILE_NAME ":")) == 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)err[i];

		/* Our own text has one non-ASCII character, the '§' of an
		 * RFC citation; input bytes are all escaped. */
		if (c == 0xc2 && (uint8_t)err[i + 1] == 0xa7) {
			i++;
			continue;
		}
		FUZZ_CHECK(c >= 0x20 && c < 0x7f);
	}
}

static void
check_client(const struct teredo_client_conf *c)
{
	size_t ifname = strnlen(c->interface_name, sizeof(c->interface_name));
	bool relay = conf_client_is_relay(c);

	FUZZ_CHECK((unsigned)c->relay_type < CONF_RELAY_TYPE_COUNT);
	FUZZ_CHECK(ifname > 0 && ifname <= CONF_IFNAME_MAX);
	FUZZ_CHECK(strnlen(c->server_address, sizeof(c->server_address)) <=
		   CONF_HOSTNAME_MAX);
	FUZZ_CHECK(strnlen(c->server_address2, sizeof(c->server_address2)) <=
		   CONF_HOSTNAME_MAX);
	/* miredo.conf(5): clients need a server, relays take none. */
	FUZZ_CHECK(relay == (c->server_address[0] == '\0'));
	FUZZ_CHECK(!relay || c->server_address2[0] == '\0');
	FUZZ_CHECK(c->bind_ipv4 < 0xe0000000u);
	FUZZ_CHECK(c->mtu >= 1280);
	FUZZ_CHECK(c->prefix != 0 && c->prefix >> 24 != 0xff);
	FUZZ_CHECK((unsigned)c->syslog_facility < CONF_SYSLOG_FACILITY_COUNT);
	FUZZ_CHECK(c->refresh_interval_s >= 10 &&
		   c->refresh_interval_s <= 3600);
	FUZZ_CHECK(c->max_peers >= 16 && c->max_peers <= 1048576);
	FUZZ_CHECK(c->control_socket[0] == '/');
	FUZZ_CHECK(strnlen(c->control_socket, sizeof(c->control_socket)) <=
		   CONF_PATH_MAX);
}

static void
check_server(const struct teredo_server_conf *s)
{
	FUZZ_CHECK(s->server_ipv4 != 0 && s->server2_ipv4 != 0);
	FUZZ_CHECK(s->server_ipv4 != s->server2_ipv4);
	FUZZ_CHECK(s->mtu >= 1280);
	FUZZ_CHECK(s->prefix != 0 && s->prefix >> 24 != 0xff);
	FUZZ_CHECK((unsigned)s->syslog_facility < CONF_SYSLOG_FACILITY_COUNT);
	FUZZ_CHECK(s->control_socket[0] == '/');
}

static void
fuzz_client(const char *text, size_t len)
{
	static char canon[4096], again[4096];
	struct teredo_client_conf c, back;
	char err[CONF_ERR_LEN];
	int rc;

	rc = conf_client_parse(text, len, FILE_NAME, &c, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	/* The result does not depend on the error buffer. */
	FUZZ_CHECK(conf_client_parse(text, len, FILE_NAME, &back, NULL, 0) ==
		   rc);
	if (rc < 0) {
		check_err(err);
		return;
	}
	FUZZ_CHECK(err[0] == '\0');
	check_client(&c);
	FUZZ_CHECK(conf_client_equal(&c, &back));
	FUZZ_CHECK(conf_client_format(&c, canon, sizeof(canon)) == 0);
	rc = conf_client_parse(canon, strlen(canon), "canon", &back, err,
			       sizeof(err));
	if (rc != 0)
		fprintf(stderr, "canonical text refused: %s\n%s", err, canon);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(conf_client_equal(&c, &back));
	FUZZ_CHECK(conf_client_format(&back, again, sizeof(again)) == 0);
	FUZZ_CHECK(strcmp(canon, again) == 0);
}

static void
fuzz_server(const char *text, size_t len)
{
	static char canon[4096], again[4096];
	struct teredo_server_conf s, back;
	char err[CONF_ERR_LEN];
	int rc;

	rc = conf_server_parse(text, len, FILE_NAME, &s, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(conf_server_parse(text, len, FILE_NAME, &back, NULL, 0) ==
		   rc);
	if (rc < 0) {
		check_err(err);
		return;
	}
	FUZZ_CHECK(err[0] == '\0');
	check_server(&s);
	FUZZ_CHECK(conf_server_equal(&s, &back));
	FUZZ_CHECK(conf_server_format(&s, canon, sizeof(canon)) == 0);
	rc = conf_server_parse(canon, strlen(canon), "canon", &back, err,
			       sizeof(err));
	if (rc != 0)
		fprintf(stderr, "canonical text refused: %s\n%s", err, canon);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(conf_server_equal(&s, &back));
	FUZZ_CHECK(conf_server_format(&back, again, sizeof(again)) == 0);
	FUZZ_CHECK(strcmp(canon, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *text = fuzz_dup(data, size);

	fuzz_client((const char *)text, size);
	fuzz_server((const char *)text, size);
	free(text);
	return 0;
}
