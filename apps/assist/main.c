/*
 * assist: remote assistance across the NATs (issue 5).
 *
 *   assist offer [options]          the User: invite a Helper
 *   assist ctl -s SOCKET REQUEST    the User: accept|refuse|grant|deny|
 *                                   revoke|say TEXT|end|status
 *   assist help INVITATION          the Helper: connect (file or one line)
 *   assist say [-d DIR] TEXT        the Helper: chat to the User
 *   assist control [-d DIR] [release]  the Helper: ask for / give back control
 *   assist connect INVITATION       ssh's ProxyCommand (used by help)
 *
 * Run by ssh as SSH_ASKPASS (with SHIPWORM_ASSIST_ASKPASS set), it prints
 * the password `assist help` stored and exits.
 */
#include "assist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shipworm_version.h"
#include "sys/ctl.h"
#include "sys/seccomp.h"

#define TIMEOUT_MS 3000

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"offer", offer_main},	   {"ctl", ctl_main},
	{"help", help_main},	   {"say", say_main},
	{"control", control_main}, {"connect", connect_main},
	{"desktop", desktop_main},
};

static int
usage(FILE *f, int status)
{
	fprintf(f, "Usage: assist COMMAND ...\n"
		   "  offer [options]              invite a Helper (the User)\n"
		   "  ctl -s SOCKET REQUEST        "
		   "accept|refuse|grant|deny|revoke|"
		   "say TEXT|end|status\n"
		   "  help [-d DIR] [-P FILE] INVITATION   connect to a User "
		   "(the Helper)\n"
		   "  say [-d DIR] TEXT            chat to the User\n"
		   "  control [-d DIR] [release]   ask for control / give it "
		   "back\n"
		   "  connect INVITATION           race the candidates "
		   "(ssh ProxyCommand)\n"
		   "  -h, --help                   this help\n"
		   "  -V, --version                the version\n");
	return status;
}

static int
askpass(const char *path)
{
	char pw[128];
	size_t len = 0;

	if (path_read(path, pw, sizeof(pw) - 1, &len) < 0)
		return 1;
	pw[len] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	printf("%s\n", pw);
	return 0;
}

int
ctl_main(int argc, char **argv)
{
	static char resp[CTL_RESPONSE_MAX + 1];
	char req[CTL_REQUEST_MAX];
	const char *sock = NULL;
	size_t o = 0, len = 0;
	int i = 1, rc;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		sock = argv[2];
		i = 3;
	}
	if (sock == NULL || i >= argc) {
		fprintf(stderr, "Usage: assist ctl -s SOCKET accept|refuse|"
				"grant|deny|revoke|say TEXT|end|status\n");
		return 2;
	}
	req[0] = '\0';
	for (; i < argc && o < sizeof(req); i++)
		o += (size_t)snprintf(req + o, sizeof(req) - o, "%s%s",
				      o ? " " : "", argv[i]);
	if (o >= sizeof(req) - 1) {
		fprintf(stderr, "assist: request too long\n");
		return 2;
	}
	sanitize(req, req, sizeof(req));
	rc = ctl_request(sock, req, resp, sizeof(resp), &len, TIMEOUT_MS);
	if (rc < 0) {
		fprintf(stderr, "assist: %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	fwrite(resp, 1, len, stdout);
	return strncmp(resp, "error:", 6) == 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const char *ask = getenv("SHIPWORM_ASSIST_ASKPASS");

	if (argc < 2)
		return usage(stderr, 2);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	/* ssh runs SSH_ASKPASS with the prompt as its only argument. */
	if (ask != NULL && argc == 2)
		return askpass(ask);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("assist (Shipworm) %s, seccomp %s\n", SHIPWORM_VERSION,
		       seccomp_policy_enabled() ? "on" : "off");
		return 0;
	}
	return usage(stderr, 2);
}
