#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long secretfile_read(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	struct stat sb;
	size_t have = 0, line;
	long rc = -1;
	ssize_t n;
	int fd;

	if (len < 2) {
		snprintf(err, errlen, "%s: no room for the secret", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "%s: readable by others than its owner (mode %04o); "
			 "run chmod 600 on it", path, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	/* one byte more than fits tells a secret too long from one that fits */
	while (have < len) {
		n = read(fd, buf + have, len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	line = 0;
	while (line < have && buf[line] != '\n')
		line++;
	if (line == have && have == len) {
		snprintf(err, errlen, "%s: the secret is longer than %zu bytes", path, len - 1);
		goto out;
	}
	for (size_t i = line + 1; i < have; i++) {
		if (buf[i] != '\n' && buf[i] != '\r' && buf[i] != ' ' && buf[i] != '\t') {
			snprintf(err, errlen, "%s: more than one line; the file holds one secret",
				 path);
			goto out;
		}
	}
	if (have == len) {
		/* the rest of the file (blank, as far as read) might not be */
		char more;

		n = read(fd, &more, 1);
		if (n != 0) {
			snprintf(err, errlen, "%s: more than one line; the file holds one secret",
				 path);
			goto out;
		}
	}
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (line == 0) {
		snprintf(err, errlen, "%s: the secret is empty", path);
		goto out;
	}
	if (memchr(buf, '\0', line)) {
		snprintf(err, errlen, "%s: the secret holds a NUL byte", path);
		goto out;
	}
	buf[line] = '\0';
	OPENSSL_cleanse(buf + line + 1, len - line - 1);
	rc = (long)line;
out:
	if (rc < 0)
		OPENSSL_cleanse(buf, len);
	close(fd);
	return rc;
}
