/*
 * log — daemon messages to stderr (journald when run by systemd).
 *
 * Every line is one record. Anything that came from the network must go
 * through log_escape() first so that a client cannot forge a line (CR/LF,
 * control bytes and non-ASCII are written as \xHH).
 */
#ifndef PORTCULLIS_LOG_H
#define PORTCULLIS_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Set the minimum level written; prefix_journal adds "<N>" syslog prefixes
 * that journald understands (set when stderr is the journal). */
void log_init(enum log_level level, int prefix_journal);
void log_set_level(enum log_level level);
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...)  log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * Copy src (srclen bytes, need not be NUL-terminated) into dst as printable
 * ASCII: bytes outside 0x20..0x7e, the backslash and the double quote
 * become \xHH (a quoted field stays one field). dst is
 * always NUL-terminated; a result that did not fit ends in "...".
 * Returns dst.
 */
char *log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
