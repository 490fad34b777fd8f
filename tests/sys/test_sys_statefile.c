/*
 * sys/statefile: created 0600, rewritten in place (a shorter record
 * leaves no tail of the longer one), read back whole, an oversized file
 * refused, a symlink not followed.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "sys_test.h"
#include "sys/statefile.h"

int
main(void)
{
	char dir[] = "/tmp/shipworm-state-XXXXXX", path[64], link_[64];
	char buf[64];
	struct stat st;
	size_t len;
	int fd = -1, fd2 = -1;

	if (mkdtemp(dir) == NULL)
		skip_all("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(link_, sizeof(link_), "%s/l", dir);
	is_int(statefile_open(path, &fd), 0, "created");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	is_int(statefile_read(fd, buf, sizeof(buf), &len), 0, "read empty");
	is_int(len, 0, "empty");
	is_int(statefile_write(fd, "2001:0:c000:20a::1234\n", 22), 0,
	       "written");
	is_int(statefile_write(fd, "2001::1\n", 8), 0, "rewritten shorter");
	is_int(statefile_read(fd, buf, sizeof(buf), &len), 0, "read back");
	ok(len == 8 && strcmp(buf, "2001::1\n") == 0, "only the new record");
	is_int(statefile_read(fd, buf, 5, &len), -EFBIG, "too large: -EFBIG");
	ok(symlink(path, link_) == 0, "symlink made");
	is_int(statefile_open(link_, &fd2), -ELOOP,
	       "a symlink is not followed");
	statefile_close(fd);
	statefile_close(fd2);
	unlink(link_);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
