/*
 * Golden files for lib/conf (bgpd's regress style): for each NAME.in in the
 * directory given as argv[1], either NAME.ok holds the canonical text the
 * parse formats to, or NAME.err holds the one-line error (plus '\n').
 * Files named server-* are miredo-server.conf inputs, all others miredo.conf;
 * messages name the file "miredo.conf" or "miredo-server.conf", as a user
 * would see them.  Each .ok must itself parse to the same struct and format
 * to itself (a fixed point).
 *
 *   test_conf_golden DIR            prints TAP
 *   test_conf_golden DIR --update   rewrites the .ok/.err files (review the
 *                                   diff before committing it)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "tap.h"

#define TEXT_MAX (64 * 1024)

/* Reads a whole file into buf (NUL-terminated); -1 when absent. */
static long
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	if (!feof(f)) {
		fprintf(stderr, "%s: larger than %zu bytes\n", path, cap - 1);
		exit(2);
	}
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

static void
spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses and formats `text` as one role; the output or the error in out. */
static int
run(bool server, const char *text, size_t len, char *out, size_t cap)
{
	const char *file = server ? "miredo-server.conf" : "miredo.conf";
	char err[CONF_ERR_LEN];
	int rc;

	if (server) {
		struct teredo_server_conf s;

		rc = conf_server_parse(text, len, file, &s, err, sizeof(err));
		if (rc == 0)
			rc = conf_server_format(&s, out, cap);
	} else {
		struct teredo_client_conf c;

		rc = conf_client_parse(text, len, file, &c, err, sizeof(err));
		if (rc == 0)
			rc = conf_client_format(&c, out, cap);
	}
	if (rc == -EINVAL)
		snprintf(out, cap, "%s\n", err);
	return rc;
}

/* The .ok text parses to what the .in did and formats to itself. */
static bool
fixed_point(bool server, const char *in, size_t in_len, const char *ok)
{
	char err[CONF_ERR_LEN], again[TEXT_MAX];

	if (server) {
		struct teredo_server_conf a, b;

		return conf_server_parse(in, in_len, NULL, &a, err,
					 sizeof(err)) == 0 &&
		       conf_server_parse(ok, strlen(ok), NULL, &b, err,
					 sizeof(err)) == 0 &&
		       conf_server_equal(&a, &b) &&
		       conf_server_format(&b, again, sizeof(again)) == 0 &&
		       strcmp(again, ok) == 0;
	} else {
		struct teredo_client_conf a, b;

		return conf_client_parse(in, in_len, NULL, &a, err,
					 sizeof(err)) == 0 &&
		       conf_client_parse(ok, strlen(ok), NULL, &b, err,
					 sizeof(err)) == 0 &&
		       conf_client_equal(&a, &b) &&
		       conf_client_format(&b, again, sizeof(again)) == 0 &&
		       strcmp(again, ok) == 0;
	}
}

static void
check_one(const char *dir, const char *name, bool update)
{
	static char in[TEXT_MAX], want[TEXT_MAX], got[TEXT_MAX];
	char path[4096], ok_path[4096], err_path[4096];
	size_t stem = strlen(name) - 3;
	bool server = strncmp(name, "server-", 7) == 0;
	long in_len, ok_len, err_len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(ok_path, sizeof(ok_path), "%s/%.*s.ok", dir, (int)stem, name);
	snprintf(err_path, sizeof(err_path), "%s/%.*s.err", dir, (int)stem,
		 name);
	in_len = slurp(path, in, sizeof(in));
	rc = run(server, in, (size_t)in_len, got, sizeof(got));
	if (rc != 0 && rc != -EINVAL) {
		ok(false, "%s: unexpected error %d", name, rc);
		return;
	}
	if (update) {
		remove(rc == 0 ? err_path : ok_path);
		spew(rc == 0 ? ok_path : err_path, got);
		printf("# wrote %s\n", rc == 0 ? ok_path : err_path);
		return;
	}
	ok_len = slurp(ok_path, want, sizeof(want));
	err_len = slurp(err_path, want, sizeof(want));
	if ((ok_len < 0) == (err_len < 0)) {
		ok(false, "%s: needs exactly one of .ok and .err", name);
		return;
	}
	if (ok_len >= 0)
		slurp(ok_path, want, sizeof(want));
	if (!ok(rc == (ok_len >= 0 ? 0 : -EINVAL) && strcmp(got, want) == 0,
		"%s -> %.*s.%s", name, (int)stem, name,
		ok_len >= 0 ? "ok" : "err")) {
		printf("#   got:\n%s#   want:\n%s", got, want);
		return;
	}
	if (ok_len >= 0)
		ok(fixed_point(server, in, (size_t)in_len, want),
		   "%.*s.ok parses back to the same and is a fixed point",
		   (int)stem, name);
}

int
main(int argc, char **argv)
{
	char *names[512];
	size_t n = 0;
	struct dirent *e;
	bool update = argc > 2 && strcmp(argv[2], "--update") == 0;
	DIR *d;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [--update]\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (d == NULL) {
		perror(argv[1]);
		return 2;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 3 && strcmp(e->d_name + len - 3, ".in") == 0 &&
		    n < ARRAY_SIZE(names))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	ok(n > 0, "%zu golden inputs in %s", n, argv[1]);
	for (size_t i = 0; i < n; i++) {
		check_one(argv[1], names[i], update);
		free(names[i]);
	}
	return done_testing();
}
