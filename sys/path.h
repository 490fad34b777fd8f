/*
 * Whole files by path, for the tools and apps that keep small state on
 * disk (apps/assist's invitation, password and known_hosts files, the
 * daemons' configuration): read a file into a caller's buffer, write one
 * with a given mode, make a private directory, remove a file.  Everything
 * the caller passes in is borrowed; nothing is allocated.
 *
 * Every function returns 0 or -errno (rule 4) and retries EINTR.
 *
 * The module is "path", not "file": a "sys/file.h" here would shadow the
 * system's <sys/file.h> (flock(), which sys/daemon.c uses), since the
 * include directory is the source root.
 */
#ifndef SHIPWORM_SYS_PATH_H
#define SHIPWORM_SYS_PATH_H

#include <stddef.h>

#include "base/err.h"

/*
 * Reads the file at path into buf[0..cap); the byte count goes to *len
 * (0 if it cannot be opened).  A file of cap bytes or more is -EFBIG, with
 * the first cap bytes in buf: callers size buf one larger than the longest
 * file they accept.  -errno from open() or read().
 */
MUST_CHECK int path_read(const char *path, char *buf, size_t cap, size_t *len);

/*
 * Creates or truncates path and writes data[0..len) to it, the mode set
 * with fchmod() too (so an existing file with a wider mode is narrowed
 * before the secret goes in).  Close-on-exec.  -errno from open(),
 * fchmod(), write() or close() (a write error the kernel reports late).
 */
MUST_CHECK int path_write(const char *path, const void *data, size_t len,
			  unsigned mode);

/*
 * mkdir(path, mode); an existing path is fine (-EEXIST is not an error:
 * start-up runs twice, or the directory is shared).  -errno otherwise.
 */
/* Creates (or empties) a file for a child's log: *fd open read-write,
 * appending, close-on-exec, with this mode. */
MUST_CHECK int path_open_log(const char *path, unsigned mode, int *fd);
MUST_CHECK int path_mkdir(const char *path, unsigned mode);

/*
 * Makes dir with mode 0700 and its missing parents with 0755 ("mkdir -p");
 * an existing dir is chmod'ed to 0700 (only its owner may read the secrets
 * in it).  -ENAMETOOLONG beyond PATH_MAX, -errno from mkdir() or chmod().
 */
MUST_CHECK int path_mkdir_private(const char *dir);

/* unlink(path): -errno, -ENOENT included (the caller decides). */
MUST_CHECK int path_unlink(const char *path);

/* realpath(3) into out (PATH_MAX bytes): the canonical absolute path, every
 * symbolic link resolved.  -errno (-ENOENT, -ENOTDIR...). */
MUST_CHECK int path_realpath(const char *path, char *out);

/* 0 if path names a directory (following links), else -errno/-ENOTDIR. */
MUST_CHECK int path_is_dir(const char *path);

#endif
