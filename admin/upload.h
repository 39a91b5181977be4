/*
 * upload — a request body collected across libmicrohttpd's upload
 * callbacks, for the admin and portal listeners (the per-request state
 * that is allocated on the first callback and freed in the completion
 * callback). Bodies there are small (JSON, a form) and may hold a
 * password, so the memory is wiped before it is freed.
 */
#ifndef PORTCULLIS_UPLOAD_H
#define PORTCULLIS_UPLOAD_H

#include <stddef.h>

struct upload {
	char *data;       /* NUL-terminated; NULL until a byte arrives */
	size_t len;
	int too_large;    /* more than max arrived: nothing more is kept */
};

/* Append len bytes of data (borrowed). Past max bytes in all the upload
 * is marked too large and the bytes are dropped. 0, or -1 out of memory. */
int upload_append(struct upload *u, const char *data, size_t len, size_t max);

/* Wipe and free what was collected, then free u itself; accepts NULL. */
void upload_free(struct upload *u);

#endif
