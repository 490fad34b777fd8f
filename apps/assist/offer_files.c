/*
 * File access (issue 5; issue 10 points 3 and 4): the "sftp" subsystem,
 * only with --allow-files DIR (read-only: sftp-server -R) or
 * --allow-files-rw DIR, only after the User accepted the Helper, one at a
 * time.  OpenSSH's sftp-server runs as the User in a jail (sys/proc.c:
 * its own mount namespace, a user namespace when not root, chroot into a
 * tmpfs holding /usr read-only and DIR on /files, read-only unless
 * --allow-files-rw; sftp-server -R too), so no path the Helper sends,
 * "../" or absolute or through a symbolic link, reaches anything outside
 * DIR.  DIR may not contain the offer's private directory (ctl.sock,
 * session.log, the tmux socket), nor, for writing, the User's home
 * (~/.bashrc, ~/.ssh/authorized_keys would let the Helper run code
 * without control).  If the jail cannot be made, there is no file access
 * (fail closed: sftp-server is not started).
 *
 * Its stdin and stdout are non-blocking pipes with bounded queues: what
 * the Helper sends is taken from libssh only while the stdin queue has
 * room (the rest stays in libssh, whose window then closes), and the
 * child's stdout is read only while the queue toward the Helper has room,
 * which drains only as the SSH window allows.  A Helper who pipelines
 * reads and never takes the answers stops sftp-server, never the offer.
 */
#include "offer.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sys/fd.h"

/* OpenSSH's own SFTP server (Debian: openssh-sftp-server), rule 13. */
#define SFTP_SERVER "/usr/lib/openssh/sftp-server"

/* a is b or under it (both canonical). */
static bool
path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int
files_check_dir(struct offer *o, const char *dir)
{
	char real[PATH_MAX], priv[PATH_MAX], home[PATH_MAX];
	const char *h = getenv("HOME");
	int rc;

	if ((rc = path_realpath(dir, real)) < 0 ||
	    (rc = path_is_dir(real)) < 0) {
		fprintf(stderr, "assist: --allow-files %s: %s\n", dir,
			strerror(-rc));
		return rc;
	}
	if (strchr(real, '%') != NULL) {
		fprintf(stderr, "assist: --allow-files %s: '%%' in the path\n",
			dir);
		return -EINVAL;
	}
	if (path_realpath(o->dir, priv) == 0 &&
	    (path_within(priv, real) || path_within(real, priv))) {
		fprintf(stderr,
			"assist: --allow-files %s: it contains the offer's "
			"private directory %s (the control socket, the "
			"session log): choose another directory\n",
			dir, priv);
		return -EPERM;
	}
	if (o->files_rw && h != NULL && path_realpath(h, home) == 0 &&
	    path_within(home, real)) {
		fprintf(stderr,
			"assist: --allow-files-rw %s: it contains your home "
			"directory (~/.bashrc, ~/.ssh): the Helper could run "
			"code as you; choose a subdirectory\n",
			dir);
		return -EPERM;
	}
	snprintf(o->files_dir, sizeof(o->files_dir), "%s", real);
	/* The jail's mount point, in the private directory (made after). */
	snprintf(o->jail_path, sizeof(o->jail_path), "%s/jail", o->dir);
	return 0;
}

int
files_start(struct chan *c)
{
	struct offer *o = c->o;
	struct sftp *f = &o->sftp;
	/* In its jail (sys/proc.c): the filesystem is /usr and /files. */
	char *argv[] = {SFTP_SERVER, "-d", "/files", "-R", NULL};
	int std_fd[3], in[2], out[2], rc;

	/* The spawner adds the jail (o->jail_path, o->files_dir). */
	if (o->files_rw)
		argv[3] = NULL;
	if ((rc = fd_pipe(in)) < 0)
		return rc;
	if ((rc = fd_pipe(out)) < 0) {
		fd_close(in[0]);
		fd_close(in[1]);
		return rc;
	}
	std_fd[0] = in[0];
	std_fd[1] = out[1];
	std_fd[2] = PROC_DEVNULL;
	rc = spawn_start(PRIVSEP_SPAWN_SFTP, argv, std_fd, &f->pid);
	fd_close(in[0]);
	fd_close(out[1]);
	if (rc == 0 && ((rc = fd_set_nonblocking(in[1])) < 0 ||
			(rc = fd_set_nonblocking(out[0])) < 0)) {
		(void)!spawn_kill(f->pid, SIGTERM);
		(void)!spawn_wait(f->pid, NULL);
	}
	if (rc < 0) {
		fd_close(in[1]);
		fd_close(out[0]);
		f->pid = 0;
		return rc;
	}
	f->c = c;
	f->in_fd = in[1];
	f->out_fd = out[0];
	f->polled = f->out_eof = f->in_eof = false;
	f->status = -1;
	c->kind = CHAN_SFTP;
	offer_log(o,
		  "file access (sftp) opened on %s, %s (allowed by the User)",
		  o->files_dir, o->files_rw ? "read-write" : "read-only");
	return 0;
}

/*
 * Ends the file access: the child killed unless it is ending by itself
 * (its stdout closed), then reaped.  tell: the channel still stands, so
 * the Helper gets the exit status, EOF and close (RFC 4254 §6.10).
 */
void
files_stop(struct offer *o, bool tell)
{
	struct sftp *f = &o->sftp;
	struct chan *c = f->c;
	int status = -1;

	if (c == NULL)
		return;
	if (f->polled)
		ssh_event_remove_fd(o->event, f->out_fd);
	if (f->in_fd >= 0)
		fd_close(f->in_fd);
	fd_close(f->out_fd);
	if (f->pid > 0) {
		/* Gone already (-ESRCH) is fine: the wait reaps it anyway. */
		if (!f->out_eof)
			(void)!spawn_kill(f->pid, SIGTERM);
		if (spawn_wait(f->pid, &status) < 0)
			status = -1;
	}
	if (tell && !c->closed && c->ch != NULL && ssh_channel_is_open(c->ch)) {
		if (status >= 0)
			(void)ssh_channel_request_send_exit_status(c->ch,
								   status);
		(void)ssh_channel_send_eof(c->ch);
		(void)ssh_channel_close(c->ch);
	}
	offer_log(o, "file access (sftp) closed (%s, exit status %d)",
		  c->closed    ? "by the Helper"
		  : f->out_eof ? "sftp-server ended"
			       : "session ended",
		  status);
	memset(f, 0, sizeof(*f));
	f->in_fd = f->out_fd = -1;
}

static int
on_sftp_readable(socket_t fd, int revents, void *arg)
{
	struct offer *o = arg;
	struct sftp *f = &o->sftp;
	uint8_t buf[16384];
	size_t n, want;
	int rc;

	(void)revents;
	if (f->c == NULL || f->out_eof || chanq_space(&f->c->out) == 0)
		return 0;
	want = chanq_space(&f->c->out);
	if (want > sizeof(buf))
		want = sizeof(buf);
	rc = fd_read(fd, buf, want, &n);
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0 || n == 0) {
		f->out_eof = true; /* the loop reaps it and tells the Helper */
		return 0;
	}
	(void)chanq_push(&f->c->out, buf, n);
	return 0;
}

void
files_serve(struct offer *o)
{
	struct sftp *f = &o->sftp;
	struct chan *c = f->c;
	bool want_poll;

	if (c == NULL)
		return;
	if (c->closed || c->ch == NULL) {
		files_stop(o, false);
		return;
	}
	if (chanq_overrun(c->ch)) {
		offer_log(o, "file access: the Helper sends past the SSH "
			     "window: closed");
		files_stop(o, true);
		return;
	}
	/* Helper -> sftp-server: what libssh still holds, then the pipe. */
	chanq_from_channel(&c->in, c->ch);
	if (f->in_fd >= 0 && chanq_to_fd(&c->in, f->in_fd) < 0) {
		fd_close(f->in_fd); /* -EPIPE: it is ending; its EOF follows */
		f->in_fd = -1;
		chanq_reset(&c->in);
	}
	if (f->in_eof && c->in.len == 0 && f->in_fd >= 0 &&
	    ssh_channel_poll(c->ch, 0) <= 0) {
		fd_close(f->in_fd); /* the Helper's EOF, after its data */
		f->in_fd = -1;
	}
	/* sftp-server -> Helper, as the window allows. */
	if (chanq_to_channel(&c->out, c->ch) < 0) {
		files_stop(o, false);
		return;
	}
	if (f->out_eof && c->out.len == 0) {
		files_stop(o, true);
		return;
	}
	want_poll = !f->out_eof && chanq_space(&c->out) > 0;
	if (want_poll && !f->polled) {
		ssh_event_add_fd(o->event, f->out_fd, POLLIN, on_sftp_readable,
				 o);
		f->polled = true;
	} else if (!want_poll && f->polled) {
		ssh_event_remove_fd(o->event, f->out_fd);
		f->polled = false;
	}
}
