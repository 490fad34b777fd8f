/* Pseudo-terminals and the controlling terminal (tty.h). */
#include "sys/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sys/fd.h"
#include "sys/proc.h"

int
tty_spawn(char *const argv[], const char *const *env, unsigned rows,
	  unsigned cols, int *master, pid_t *pid,
	  char name[static TTY_PATH_MAX])
{
	struct winsize ws = {.ws_row = (unsigned short)rows,
			     .ws_col = (unsigned short)cols};
	char pts[TTY_PATH_MAX];
	int m, rc;
	pid_t p = forkpty(&m, pts, NULL, &ws);

	if (p < 0)
		return -errno;
	if (p == 0) {
		for (const char *const *e = env; e != NULL && *e != NULL; e++) {
			const char *eq = strchr(*e, '=');
			char n[128];

			if (eq == NULL) {
				(void)unsetenv(*e);
			} else if ((size_t)(eq - *e) < sizeof(n)) {
				memcpy(n, *e, (size_t)(eq - *e));
				n[eq - *e] = '\0';
				(void)setenv(n, eq + 1, 1);
			}
		}
		proc_close_extra_fds();
		execvp(argv[0], argv);
		_exit(127);
	}
	/* The loop polls the master; no other child may inherit it. */
	if ((rc = fd_set_nonblocking(m)) < 0 ||
	    (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 && (rc = -errno) < 0)) {
		close(m);
		kill(p, SIGTERM);
		waitpid(p, NULL, 0);
		return rc;
	}
	*master = m;
	*pid = p;
	snprintf(name, TTY_PATH_MAX, "%s", pts);
	return 0;
}

int
tty_set_size(int master, unsigned rows, unsigned cols)
{
	struct winsize ws = {.ws_row = (unsigned short)rows,
			     .ws_col = (unsigned short)cols};

	return ioctl(master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int
tty_read_hidden(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	FILE *f;
	bool ok;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r+");
	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "%s", prompt);
	fflush(f);
	tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	ok = fgets(out, (int)cap, f) != NULL;
	tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(f, "\n");
	fclose(f);
	if (!ok)
		return -EIO;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}
