/*
 * csv — cells of the spreadsheet exports (the admin panel's audit CSV), as
 * RFC 4180 says, made safe to open: a cell whose text a spreadsheet would
 * run as a formula is turned into text. A pure function: no I/O, no
 * allocation.
 */
#ifndef PORTCULLIS_CSV_H
#define PORTCULLIS_CSV_H

#include <stddef.h>

/* Room csv_cell needs for a value of len bytes, separator included. */
#define CSV_CELL_MAX(len) (2 * (len) + 4)

/*
 * Write the value as one quoted cell (RFC 4180 §2: in quotes, a quote
 * doubled) followed by "," or, when last, by CRLF, into out, which must
 * hold CSV_CELL_MAX(strlen(value)) bytes; returns the bytes written (no NUL).
 * A value that a spreadsheet would read as a formula starts with an
 * apostrophe: its first character after any leading blanks is = + - @ or
 * their full-width or small forms (＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫), or it starts
 * with a tab or a carriage return. Borrows value.
 */
size_t csv_cell(char *out, const char *value, int last);

#endif
