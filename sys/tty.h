/*
 * Terminals for apps/assist: a program on a new pseudo-terminal (the
 * Helper's read-only `tmux attach`, whose screen goes over SSH), its
 * window size, and a password read from the controlling terminal without
 * echo.
 */
#ifndef SHIPWORM_SYS_TTY_H
#define SHIPWORM_SYS_TTY_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

#define TTY_PATH_MAX 64

/*
 * Runs argv[0] (execvp) on a new pty of rows x cols, as forkpty(3) does:
 * the child gets the pty as its controlling terminal and stdio, and env
 * applied first (NULL-terminated; "NAME=value" sets, "NAME" unsets; may be
 * NULL).  *master (nonblocking, close-on-exec), *pid and the pty's name
 * ("/dev/pts/N") go to the caller, who closes and reaps.  -errno.
 */
MUST_CHECK int tty_spawn(char *const argv[], const char *const *env,
			 unsigned rows, unsigned cols, int *master, pid_t *pid,
			 char name[static TTY_PATH_MAX]);

/* TIOCSWINSZ on a pty master: the program sees SIGWINCH.  -errno. */
MUST_CHECK int tty_set_size(int master, unsigned rows, unsigned cols);

/*
 * Prints prompt on /dev/tty and reads one line there with echo off (echo
 * is restored before returning); the line without its newline goes to
 * out (NUL-terminated, at most cap - 1 bytes).  -errno from open() (no
 * controlling terminal: -ENXIO), -ENOMEM, -EIO at end of input.
 */
MUST_CHECK int tty_read_hidden(const char *prompt, char *out, size_t cap);

#endif
