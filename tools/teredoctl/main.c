/*
 * teredoctl: asks a running teredod or teredo-serverd over its control
 * socket, like Windows' `netsh interface teredo show state`.
 *
 *   teredoctl [-s SOCKET] show state [--json]
 *   teredoctl [-s SOCKET] show peers [--json]
 *   teredoctl [-s SOCKET] stats [--json]
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "shipworm_version.h"
#include "sys/ctl.h"

#define DEFAULT_SOCKET "/run/shipworm/teredod.sock"
#define TIMEOUT_MS 3000

static int
usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: teredoctl [-s SOCKET] COMMAND [--json]\n"
		"Commands:\n"
		"  show state   the Teredo state, as netsh shows it\n"
		"  show peers   the client's peer list\n"
		"  stats        counters, every dropped packet by reason\n"
		"Options:\n"
		"  -s, --socket PATH   control socket (default %s;\n"
		"                      teredo-serverd: "
		"/run/shipworm/teredo-serverd.sock)\n"
		"  --json              machine-readable output\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n",
		DEFAULT_SOCKET);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static char response[CTL_RESPONSE_MAX + 1];
	const char *path = DEFAULT_SOCKET;
	char request[CTL_REQUEST_MAX];
	bool json = false;
	size_t len = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "s:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("teredoctl (Shipworm) %s\n", SHIPWORM_VERSION);
			return 0;
		default:
			return usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    (strcmp(argv[1], "state") == 0 || strcmp(argv[1], "peers") == 0))
		snprintf(request, sizeof(request), "show %s%s", argv[1],
			 json ? " --json" : "");
	else if (argc == 1 && strcmp(argv[0], "stats") == 0)
		snprintf(request, sizeof(request), "stats%s",
			 json ? " --json" : "");
	else
		return usage(stderr, 2);

	rc = ctl_request(path, request, response, sizeof(response), &len,
			 TIMEOUT_MS);
	if (rc < 0) {
		fprintf(stderr, "teredoctl: %s: %s%s\n", path, strerror(-rc),
			rc == -ENOENT || rc == -ECONNREFUSED
				? " (is the daemon running?)"
				: "");
		return 1;
	}
	fwrite(response, 1, len, stdout);
	return strncmp(response, "error:", 6) == 0 ? 1 : 0;
}
