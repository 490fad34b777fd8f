/*
 * assist: remote assistance across the NATs (issue 5).  The User runs
 * `assist offer` (offer.c: an embedded libssh server, the shell in tmux);
 * the Helper runs `assist help` (help.c: the stock OpenSSH client over the
 * first candidate to connect).  The invitation and the candidate race are
 * lib/assist; sockets are sys/tcp.c; this directory is the glue.
 */
#ifndef SHIPWORM_APPS_ASSIST_H
#define SHIPWORM_APPS_ASSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assist/invite.h"
#include "base/err.h"

/* Three wrong passwords lock an invitation (RA had no limit at all). */
#define ASSIST_PASSWORD_TRIES 3
/* How long the User has to answer a prompt before it counts as "no". */
#define ASSIST_PROMPT_MS 120000
#define ASSIST_FILE_MAX 4096

int offer_main(int argc, char **argv);
int ctl_main(int argc, char **argv);
int help_main(int argc, char **argv);
int connect_main(int argc, char **argv);
int say_main(int argc, char **argv);
int control_main(int argc, char **argv);

/* Wall clock (Unix seconds) and a monotonic clock (ms). */
int64_t now_unix(void);
uint64_t now_ms(void);

/* The running executable's path (for tmux bindings and ProxyCommand). */
const char *self_exe(void);

/* fork + execvp; waits; the exit status, or -errno.  quiet: output to
 * /dev/null. */
int run_argv(char *const argv[], bool quiet);
/* The same, with stdout into out (NUL-terminated, truncated to cap - 1). */
int run_capture(char *const argv[], char *out, size_t cap);

MUST_CHECK int read_file(const char *path, char *buf, size_t cap, size_t *len);
MUST_CHECK int write_file(const char *path, const void *data, size_t len,
			  unsigned mode);

/* Makes dir (and parents) with mode 0700; an existing one is fine. */
MUST_CHECK int make_private_dir(const char *dir);

/* Copies text keeping printable ASCII only (attacker bytes, rule 11). */
void sanitize(const char *in, char *out, size_t cap);

/* Reads an invitation from a file path or takes arg as the one-line form. */
MUST_CHECK int invitation_load(const char *arg, struct assist_invite *inv,
			       struct assist_invite_err *err);

#endif
