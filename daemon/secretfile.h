/*
 * secretfile — read a secret (a service account's password, a shared
 * secret) from a file that only its owner may read.
 *
 * A secret in a file that the group or others can read is not a secret:
 * such a file is refused with a message that says what to run, so the
 * daemon stops at start instead of working with a password everyone on
 * the host can see.
 */
#ifndef PORTCULLIS_SECRETFILE_H
#define PORTCULLIS_SECRETFILE_H

#include <stddef.h>

/*
 * Read the secret in path into buf (len bytes, NUL-terminated): the file's
 * first line, without its line end ("\n" or "\r\n"). Refused, with a
 * message in err: a path that is not a regular file, a mode with any
 * group or other permission bit, an empty secret, one that does not fit
 * in buf, a second line with content (a file of several secrets is a
 * mistake, not a secret). Returns the secret's length, or -1. buf is
 * wiped on error.
 */
long secretfile_read(const char *path, char *buf, size_t len, char *err, size_t errlen);

#endif
