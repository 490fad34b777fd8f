/*
 * assist: remote assistance across the NATs (issue 5).  The User runs
 * `assist offer` (offer.c: an embedded libssh server, the shell in tmux);
 * the Helper runs `assist help` (help.c: the stock OpenSSH client over the
 * first candidate to connect).  The invitation and the candidate race are
 * lib/assist; sockets are sys/tcp.c, files sys/path.c, fds sys/fd.c,
 * children sys/proc.c, terminals sys/tty.c; this directory is the glue and
 * makes no system call itself (the dependency rule).
 */
#ifndef SHIPWORM_APPS_ASSIST_H
#define SHIPWORM_APPS_ASSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assist/invite.h"
#include "base/err.h"
#include "sys/path.h"
#include "sys/proc.h"

/* Three wrong passwords from one source shut that source out (RA had no
 * limit at all); lib/assist/session.c counts them. */
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
int desktop_main(int argc, char **argv); /* help_desktop.c */
/* assist help --desktop: `assist desktop -d DIR` beside the session; its
 * pid, or 0. */
pid_t help_desktop_start(const char *dir, const char *viewer);

/* Wall clock (Unix seconds) and a monotonic clock (ms). */
int64_t now_unix(void);
uint64_t now_ms(void);

/* The running executable's path (for tmux bindings and ProxyCommand). */
const char *self_exe(void);

/* Copies text keeping printable ASCII only (attacker bytes, rule 11). */
void sanitize(const char *in, char *out, size_t cap);

/* Reads an invitation from a file path or takes arg as the one-line form. */
MUST_CHECK int invitation_load(const char *arg, struct assist_invite *inv,
			       struct assist_invite_err *err);

#endif
