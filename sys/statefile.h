/*
 * A small state file kept open across a privilege drop: opened (created
 * 0600) while the daemon may still open it, rewritten in place later by
 * the unprivileged process.  One write of a few dozen bytes at offset 0,
 * truncated to its length and synced; a reader rejects anything that is
 * not a whole record, so a torn write costs the state, never correctness.
 */
#ifndef SHIPWORM_SYS_STATEFILE_H
#define SHIPWORM_SYS_STATEFILE_H

#include <stddef.h>

#include "base/err.h"

/* Opens or creates path (0600, no symlink followed) into *fd.  -errno. */
MUST_CHECK int statefile_open(const char *path, int *fd);

/* Reads the whole file, at most cap - 1 bytes, NUL-terminated.  -EFBIG
 * when larger; -errno. */
MUST_CHECK int statefile_read(int fd, char *buf, size_t cap, size_t *len);

/* Replaces the content with buf[0..len), synced.  -errno. */
MUST_CHECK int statefile_write(int fd, const void *buf, size_t len);

void statefile_close(int fd);

#endif
