/*
 * portcullis: what every command shares for the person at the terminal:
 * names shown escaped, aligned tables, JSON listings, times, passwords
 * read from standard input, the arguments of a command.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "account.h"
#include "auth.h"
#include "cli.h"

/* ------------------------------------------------------------ display */

/* Format characters that reorder or hide text (RLO and friends, zero
 * width spaces, line separators): a name could use them to look like
 * another, so they are escaped even though they are "printable". */
static int hidden_codepoint(wchar_t wc)
{
	return (wc >= 0x200b && wc <= 0x200f) || (wc >= 0x2028 && wc <= 0x202e) ||
	       (wc >= 0x2060 && wc <= 0x206f) || wc == 0xfeff || wc == 0x061c;
}

/*
 * s as a terminal may show it, in a new string: control bytes, backslash,
 * bytes that are not (or, outside a UTF-8 locale, not ASCII) printable
 * characters, and hidden format characters as \xHH per byte. *width is
 * the columns it takes. NULL when out of memory.
 */
char *display(const char *s, size_t *width)
{
	size_t len = strlen(s), o = 0, w = 0;
	char *out = malloc(len * 4 + 1);
	mbstate_t ps;

	if (!out)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = 1;

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
			w++;
			i++;
			continue;
		}
		if (term_utf8 && ch >= 0x80) {
			wchar_t wc;
			int cw;

			n = mbrtowc(&wc, s + i, len - i, &ps);
			if (n != (size_t)-1 && n != (size_t)-2 && n > 0 && !hidden_codepoint(wc) &&
			    (cw = wcwidth(wc)) >= 0) {
				memcpy(out + o, s + i, n);
				o += n;
				w += (size_t)cw;
				i += n;
				continue;
			}
			memset(&ps, 0, sizeof(ps));
			if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
				n = 1;
		}
		for (size_t k = 0; k < n; k++, w += 4)
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i + k]);
		i += n;
	}
	out[o] = '\0';
	*width = w;
	return out;
}

/* One cell of an aligned table: s escaped, then the padding to width;
 * the padding is held back (*pending) so that no line ends in spaces. */
static void put_cell(FILE *f, const char *s, size_t width, size_t *pending)
{
	size_t w;
	char *d = display(s, &w);

	if (d && d[0])
		for (; *pending; (*pending)--)
			fputc(' ', f);
	fputs(d ? d : "?", f);
	free(d);
	*pending += (w < width ? width - w : 0) + 2;
}


void table_init(struct table *t, size_t ncols, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	/* a listing wider than the table is a programming error: caught here,
	 * not as writes past head[] and width[] */
	if (ncols > TABLE_COLS)
		abort();
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->head[i] = head[i];
		t->width[i] = strlen(head[i]);
	}
	t->cells = calloc(TABLE_CHUNK * ncols, sizeof(char *));
}

static void table_flush(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w;
			char *d = display(t->cells[r * t->ncols + c], &w);

			free(d);
			if (w > t->width[c])
				t->width[c] = w;
		}
	if (!t->printed_head) {
		size_t pending = 0;

		for (size_t c = 0; c < t->ncols; c++)
			put_cell(stdout, t->head[c], t->width[c], &pending);
		fputc('\n', stdout);
		t->printed_head = 1;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t pending = 0;

		for (size_t c = 0; c < t->ncols; c++) {
			put_cell(stdout, t->cells[r * t->ncols + c], t->width[c], &pending);
			free(t->cells[r * t->ncols + c]);
		}
		fputc('\n', stdout);
	}
	t->nrows = 0;
}

/* Takes the ncols strings as they are stored; copies them. */
int table_row(struct table *t, const char *const *cells)
{
	if (!t->cells)
		return -1;
	for (size_t c = 0; c < t->ncols; c++)
		if (!(t->cells[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "")))
			return -1;
	if (++t->nrows == TABLE_CHUNK)
		table_flush(t);
	return 0;
}

void table_fini(struct table *t)
{
	table_flush(t);
	free(t->cells);
}

/* ------------------------------------------------------------ JSON */


void json_list_begin(struct json_list *l)
{
	memset(l, 0, sizeof(*l));
	fputs("[", stdout);
}

/* Takes ownership of v. */
void json_list_add(struct json_list *l, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENSURE_ASCII) : NULL;

	if (!s) {
		l->failed = 1;
	} else {
		fputs(l->n++ ? ",\n  " : "\n  ", stdout);
		fputs(s, stdout);
		free(s);
	}
	json_decref(v);
}

int json_list_end(struct json_list *l)
{
	fputs(l->n ? "\n]\n" : "]\n", stdout);
	if (l->failed)
		errorf("some rows could not be written as JSON (out of memory)");
	return l->failed ? -1 : 0;
}

void json_print(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;

	if (s) {
		puts(s);
		free(s);
	} else {
		errorf("cannot write JSON (out of memory)");
	}
	json_decref(v);
}

/* ------------------------------------------------------------ times */

/* "YYYY-MM-DD HH:MM[:SS]" local time, or "never" for 0. */
const char *fmt_time(int64_t t, int seconds, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm))
		snprintf(buf, len, "never");
	else
		strftime(buf, len, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* Bytes/s in decimal units: "512 B/s", "1.5 kB/s", "2.0 MB/s", "1.2 GB/s". */
const char *fmt_rate(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "kB/s", "MB/s", "GB/s" };
	double d = (double)v;
	size_t u = 0;

	if (v < 1000) {
		snprintf(buf, len, "%llu B/s", (unsigned long long)v);
		return buf;
	}
	d /= 1000;
	while (d >= 999.95 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		d /= 1000;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}

/*
 * A point in time: "YYYY-MM-DD[THH:MM[:SS]]" (or a space for the T) in
 * local time, "@UNIXSECONDS", "now", or a duration "30s", "15m", "2h",
 * "7d", "2w" counted from now in direction (-1 ago, +1 ahead). 0 with the
 * unix time in *out, -1 if s is none of these (or no such date).
 */
int parse_time(const char *s, int direction, int64_t *out)
{
	int64_t now = (int64_t)time(NULL);
	struct tm tm, check;
	const char *end;
	char *e;

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (s[0] == '@') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &e, 10);
		if (e == s + 1 || *e || errno || v < 0)
			return -1;
		*out = v;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long long n;

		errno = 0;
		n = strtoull(s, &e, 10);
		if (!errno && e != s && e[0] && !e[1] && strchr("smhdw", e[0]) && n <= 100ULL * 366 * 86400) {
			int64_t unit = e[0] == 's' ? 1 : e[0] == 'm' ? 60 : e[0] == 'h' ? 3600 :
				       e[0] == 'd' ? 86400 : 7 * 86400;

			if ((int64_t)n * unit > 200LL * 366 * 86400)
				return -1;
			*out = now + direction * (int64_t)n * unit;
			return 0;
		}
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || strlen(s) < 10)
		return -1;
	if (*end == 'T' || *end == ' ') {
		end = strptime(end + 1, "%H:%M", &tm);
		if (!end)
			return -1;
		if (*end == ':' && !(end = strptime(end + 1, "%S", &tm)))
			return -1;
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	check = tm;
	if (mktime(&check) == (time_t)-1)
		return -1;
	/* mktime quietly turns 2025-02-30 into March 2nd: no such date */
	if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon || check.tm_year != tm.tm_year)
		return -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

/* ------------------------------------------------------------ passwords */

static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo_cb(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line into buf (without its "\n" or "\r\n"). 0, 1 at end of input
 * with nothing read, -1 too long or holding a NUL byte. */
int read_line(char *buf, size_t len, size_t *n)
{
	int ch, nul = 0;

	*n = 0;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (ch == '\0')
			nul = 1;
		if (*n + 1 >= len)
			return -1;
		buf[(*n)++] = (char)ch;
	}
	buf[*n] = '\0';
	if (ch == EOF && *n == 0)
		return 1;
	if (*n && buf[*n - 1] == '\r')
		buf[--*n] = '\0';
	return nul ? -1 : 0;
}

int read_tty_line(const char *prompt, char *buf, size_t len, size_t *n)
{
	struct termios noecho;
	struct sigaction sa;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return read_line(buf, len, n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_echo_cb;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	noecho = saved_termios;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	fputs(prompt, stderr);
	fflush(stderr);
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	rc = read_line(buf, len, n);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	echo_off = 0;
	return rc;
}

/*
 * The new password for who: one line from standard input (a script pipes
 * it), or typed twice without echo when standard input is a terminal.
 * Everything but the line end is the password (spaces, ':', any UTF-8).
 * 0, or -1 with the reason printed.
 */
int read_password(const char *who, char *buf, size_t len, size_t *n)
{
	char again[AUTH_PASS_MAX + 2];
	size_t n2;
	int rc;

	if (isatty(STDIN_FILENO)) {
		char prompt[600];
		size_t w;
		char *d = display(who, &w);

		snprintf(prompt, sizeof(prompt), "New password for %s: ", d ? d : "?");
		free(d);
		rc = read_tty_line(prompt, buf, len, n);
		if (rc == 0 && *n) {
			rc = read_tty_line("Retype the password: ", again, sizeof(again), &n2);
			if (rc == 0 && (n2 != *n || memcmp(buf, again, n2) != 0)) {
				explicit_bzero(again, sizeof(again));
				errorf("the passwords differ; nothing changed");
				return -1;
			}
			explicit_bzero(again, sizeof(again));
		}
	} else {
		rc = read_line(buf, len, n);
	}
	if (rc == 1) {
		errorf("no password on standard input (give one line)");
		return -1;
	}
	if (rc < 0) {
		errorf("the password must be at most %d bytes without NUL bytes", AUTH_PASS_MAX);
		return -1;
	}
	if (*n == 0) {
		errorf("an empty password is refused");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ arguments */

/* An error about a name: "before'NAME'after", the name escaped. */
void error_name(const char *before, const char *name, const char *after)
{
	size_t w;
	char *d = display(name, &w);

	errorf("%s'%s'%s", before, d ? d : "?", after);
	free(d);
}


/*
 * Split argv into options of spec and positional arguments (at most
 * maxpos; "--" ends the options, so a name may start with '-').
 * "--name VALUE" and "--name=VALUE" both work. --json is known to every
 * listing through spec. -1 on a usage error (printed).
 */
int parse_args(int argc, char **argv, const struct opt *spec, int minpos, int maxpos,
		      struct args *a)
{
	int only_pos = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct opt *o = NULL;
		size_t nl;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			if (a->npos >= maxpos || a->npos >= 8) {
				error_name("unexpected argument ", arg, "");
				return -1;
			}
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = 1;
			continue;
		}
		nl = strcspn(arg, "=");
		for (const struct opt *s = spec; s && s->name; s++)
			if (strlen(s->name) == nl && !strncmp(s->name, arg, nl))
				o = s;
		if (!o) {
			error_name("unknown option ", arg, "");
			return -1;
		}
		if (!o->value) {
			if (arg[nl]) {
				errorf("%s takes no value", o->name);
				return -1;
			}
			*o->flag = 1;
		} else if (arg[nl] == '=') {
			*o->value = arg + nl + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			errorf("%s needs a value", o->name);
			return -1;
		}
	}
	if (a->npos < minpos) {
		errorf("missing argument");
		return -1;
	}
	return 0;
}

int valid_name(const char *kind, const char *name)
{
	char *d;
	size_t w;

	if (account_valid_name(name))
		return 1;
	d = display(name, &w);
	errorf("invalid %s name '%s': 1 to %d bytes, no control characters, no ':'", kind,
	       d ? d : "?", AUTH_USER_MAX);
	free(d);
	return 0;
}

/* "what NAME how" on standard output, the name escaped. */
void done_name(const char *what, const char *name, const char *how)
{
	size_t w;
	char *d = display(name, &w);

	printf("%s %s %s\n", what, d ? d : "?", how);
	free(d);
}


void listing_begin(struct listing *l, struct cli *c, size_t ncols, const char *const *head)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	if (c->json)
		json_list_begin(&l->j);
	else
		table_init(&l->t, ncols, head);
}

int listing_open(struct listing *l, struct cli *c, int argc, char **argv, size_t ncols,
		 const char *const *head)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	struct args a;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(l, c, ncols, head);
	return EXIT_DONE;
}

int listing_end(struct listing *l, int rc, const char *what)
{
	if (l->c->json) {
		if (json_list_end(&l->j) < 0 && rc >= 0)
			rc = -1;
	} else {
		table_fini(&l->t);
	}
	if (rc < 0)
		return db_failed(l->c, rc, what);
	return EXIT_DONE;
}
