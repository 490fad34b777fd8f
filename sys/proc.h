/*
 * Child processes for the apps (apps/assist runs tmux and the OpenSSH
 * client as programs, rule 13): spawn one with its own argv, environment
 * changes and standard fds, wait for it, signal it, or run it to the end
 * capturing its output.  Also the raw fork/exec/detach steps for the one
 * place where the parent, not the child, becomes the other program, and
 * the start of a keeper process that outlives the call but not the caller.
 *
 * Exit statuses are as the shell reports them: the exit code, or 128 + the
 * signal number.  Functions return 0 (or that status) or -errno.
 */
#ifndef SHIPWORM_SYS_PROC_H
#define SHIPWORM_SYS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* A standard fd of the child: inherited, or /dev/null. */
#define PROC_INHERIT (-1)
#define PROC_DEVNULL (-2)

struct proc_opts {
	/* What becomes the child's fd 0, 1, 2: an fd of ours (dup2'ed, so
	 * close-on-exec ones are fine), PROC_INHERIT or PROC_DEVNULL.  A
	 * zeroed struct would mean "our stdin everywhere": always set all
	 * three (PROC_OPTS_INHERIT). */
	int std_fd[3];
	/* NULL, or a NULL-terminated list applied in the child only:
	 * "NAME=value" sets NAME, "NAME" alone unsets it. */
	const char *const *env;
	/*
	 * NULL, or a jail for the child (issue 10 point 4): a private mount
	 * namespace (and a user namespace when not root) whose root is a
	 * small tmpfs mounted on jail_root (an empty directory) holding /usr
	 * and the merged-/usr links read-only, and jail_files bound on
	 * /files (read-only unless jail_files_rw); the child chroots there
	 * and starts in /files.  Nothing else of the filesystem exists for
	 * it.  Any step failing ends the child with status 126 (fail
	 * closed).
	 */
	const char *jail_root;
	const char *jail_files;
	bool jail_files_rw;
};

#define PROC_OPTS_INHERIT                                             \
	{                                                             \
		.std_fd = {PROC_INHERIT, PROC_INHERIT, PROC_INHERIT}, \
		.env = NULL                                           \
	}

/*
 * Starts argv[0] (searched in PATH, execvp) as a child; its pid goes to
 * *pid.  opts NULL: everything inherited.  A program that cannot be run
 * shows as exit status 127 from proc_wait(), as in the shell.  -errno
 * from fork().
 */
MUST_CHECK int proc_spawn(char *const argv[], const struct proc_opts *opts,
			  pid_t *pid);

/*
 * Waits for the child pid (retrying EINTR); *status is its exit code or
 * 128 + signal, *signo the signal that ended it or 0 (either may be NULL).
 * -errno from waitpid() (-ECHILD).
 */
MUST_CHECK int proc_wait(pid_t pid, int *status, int *signo);

/*
 * The same without waiting (WNOHANG): 0 and *status once pid has ended,
 * -EAGAIN while it runs, -errno (-ECHILD).  For a loop that must not
 * block on its children (assist offer's dialogs and VNC server).
 */
MUST_CHECK int proc_try_wait(pid_t pid, int *status);

/* kill(pid, sig): -errno (-ESRCH once it is gone). */
MUST_CHECK int proc_kill(pid_t pid, int sig);

/*
 * proc_spawn() then proc_wait(): the exit status (0..255), or -errno.
 * quiet: the child's stdin, stdout and stderr are /dev/null.
 */
MUST_CHECK int proc_run(char *const argv[], bool quiet);

/*
 * The same with the child's stdout into out, NUL-terminated and truncated
 * to cap - 1 bytes (the rest is read and dropped so the child never blocks
 * on a full pipe); stdin and stderr are /dev/null.  The exit status, or
 * -errno (-EINVAL for cap 0).
 */
MUST_CHECK int proc_capture(char *const argv[], char *out, size_t cap);

/*
 * The raw steps, for a parent that becomes another program while its
 * child carries on (assist offer: tmux attach in the User's terminal, the
 * server in the background).  proc_fork(): *pid is 0 in the child.
 * proc_exec() returns only on failure, with -errno; the caller then
 * _exit()s.  proc_detach(): a new session (setsid) and stdin, stdout,
 * stderr on /dev/null, so the terminal's hang-up never reaches us.
 */
MUST_CHECK int proc_fork(pid_t *pid);
MUST_CHECK int proc_exec(char *const argv[]);

/* Closes every fd above 2 (close_range): for a child about to exec.
 * proc_spawn(), proc_run(), proc_capture(), proc_exec() and tty_spawn()
 * do it themselves. */
void proc_close_extra_fds(void);
/* The same but for keep (assist offer's spawner keeps its channel). */
void proc_close_fds_except(int keep);
MUST_CHECK int proc_detach(void);

/*
 * A keeper: a process that outlives the call that starts it but not its
 * caller (sys/upnpkeep.c and sys/portlease.c hold a router's port mapping
 * in one).  Two close-on-exec pipes, then a double fork: the middle child
 * exits at once and is reaped here, so the keeper is no child of the
 * caller (the caller reaps nothing and its SIGCHLD handling sees only its
 * own children).  The keeper runs keeper(arg, hold, report), which must
 * not return (an _exit(0) follows).  hold is the read end of a pipe whose
 * write end only the caller has: it turns readable (EOF) when every copy
 * of the caller's end is closed, the caller's exit or crash included, and
 * the keeper then undoes its work and exits.  report is where the keeper
 * writes its outcome, res_len bytes (best in one write of at most
 * PIPE_BUF; pieces are gathered).
 *
 * Waits at most wait_ms (signals do not cut it short) for those bytes
 * into res.  0 once they came: *hold (hold's write end) and *report
 * (report's read end: EOF once the keeper closes it, at its exit at the
 * latest) are the caller's to close.  -ETIMEDOUT when they did not come
 * in time or the keeper ended first: both ends are closed (*hold and
 * *report -1), which ends a keeper still running, and res is zeroed.
 * -errno (pipe, fork): nothing started, res zeroed.
 */
typedef void proc_keeper_fn(const void *arg, int hold, int report);
MUST_CHECK int proc_keeper_start(proc_keeper_fn *keeper, const void *arg,
				 int wait_ms, void *res, size_t res_len,
				 int *hold, int *report);

/*
 * This executable's path (readlink /proc/self/exe) into buf, NUL-terminated
 * (a longer path is cut at cap - 1).  -errno from readlink(), -ENOENT for
 * an empty link; buf is then untouched.
 */
MUST_CHECK int proc_self_exe(char *buf, size_t cap);

#endif
