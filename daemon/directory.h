/*
 * directory — an LDAP directory (OpenLDAP, Active Directory) that checks
 * passwords and names groups, through OpenLDAP's libldap.
 *
 * A check is two steps (RFC 4513 section 5.1.3 and 5.2): a search, as the
 * service account, for the one entry whose user filter matches the login
 * name, then a simple bind as that entry with the password given. An empty
 * password is never sent: RFC 4513 section 5.1.2 makes it an
 * unauthenticated bind, which a directory answers with success. The login
 * name goes into the filter escaped (RFC 4515 section 3), so it can name
 * an entry but never widen the search.
 *
 * Connections are TLS only: ldaps://, or ldap:// upgraded with StartTLS
 * (RFC 4511 section 4.14), the server's certificate checked against the
 * CA file and the URI's host name; ldap:// in clear only when the
 * configuration says allow_plaintext. A pool of connections is shared by
 * the threads that call directory_check; a connection that breaks is
 * opened again, trying the URIs in order from the one that answered last;
 * every network step has a timeout, so a dead server costs a check at most
 * the timeout per URI, never a hung thread.
 *
 * An unknown name is answered after the search, a known one after the
 * bind as well: the directory's own work (hashing, its password policy's
 * writes) tells names apart by time whatever the gateway does; the
 * gate's lockout bounds how fast anyone can ask.
 *
 * Every function may block on the network: call it from a thread that may
 * block (the gate's pool), never from a loop. Thread-safe.
 */
#ifndef PORTCULLIS_DIRECTORY_H
#define PORTCULLIS_DIRECTORY_H

#include <stddef.h>

struct config;
struct directory;

#define DIRECTORY_GROUPS_MAX   32
#define DIRECTORY_GROUP_LEN    128

enum directory_answer {
	DIRECTORY_ACCEPT,          /* the entry's password is right, the account usable */
	DIRECTORY_WRONG_PASSWORD,
	DIRECTORY_NO_SUCH_USER,    /* no entry (or more than one) matches the filter */
	DIRECTORY_LOCKED,          /* ppolicy pwdAccountLockedTime, AD lockout */
	DIRECTORY_DISABLED,        /* AD userAccountControl ACCOUNTDISABLE */
	DIRECTORY_EXPIRED,         /* AD: password or account expired */
	DIRECTORY_UNREACHABLE,     /* no URI answered within the timeout */
};

struct directory_result {
	enum directory_answer answer;
	char dn[512];              /* the entry found ("" when none) */
	char detail[320];          /* why, for the log (printable ASCII) */
	char groups[DIRECTORY_GROUPS_MAX][DIRECTORY_GROUP_LEN];
	size_t n_groups;           /* ACCEPT (and directory_lookup) only */
	enum directory_answer standing;   /* directory_lookup's ACCEPT: what the
					   * entry's attributes say of the account
					   * (DIRECTORY_ACCEPT usable, _LOCKED,
					   * _DISABLED) */
};

/*
 * The [ldap] section of cfg (borrowed for the call): checks the URIs, the
 * filters and reads the service account's password file (which must be
 * readable by its owner only). Opens no connection yet. NULL with a
 * message in err on a configuration error; [ldap] uri must be set.
 */
struct directory *directory_new(const struct config *cfg, char *err, size_t errlen);
/* When [auth] sources names ldap: what directory_new checks (the URIs,
 * the filters, the password file), nothing opened; for portcullisd -t.
 * 0, or -1 with the message in err. */
int directory_config_check(const struct config *cfg, char *err, size_t errlen);

/* Closes every connection; no check may be running. Accepts NULL. */
void directory_free(struct directory *d);

/* Check username's password (password_len bytes). Fills *res; the groups
 * are filled for DIRECTORY_ACCEPT. Returns res->answer. */
enum directory_answer directory_check(struct directory *d, const char *username,
				      const char *password, size_t password_len,
				      struct directory_result *res);

/* Find username's entry and groups without a password (as the service
 * account), for `portcullis user explain` and the refresh of a user's
 * groups: DIRECTORY_ACCEPT when found (res->standing says whether the
 * account is usable), DIRECTORY_NO_SUCH_USER or DIRECTORY_UNREACHABLE. */
enum directory_answer directory_lookup(struct directory *d, const char *username,
				       struct directory_result *res);

/* The answer's name in messages ("accept", "no such user", ...). */
const char *directory_answer_name(enum directory_answer a);

/*
 * RFC 4515 section 3: write value (len bytes, any bytes) into out as a
 * filter assertion value: '*', '(', ')', '\', NUL and every byte outside
 * printable ASCII become "\HH" (two lower-case hex digits). out is
 * NUL-terminated. Returns the length written, or -1 (out untouched beyond
 * its first byte, set to "") when it does not fit.
 */
long directory_filter_escape(char *out, size_t outlen, const char *value, size_t len);

/*
 * Expand a filter template: "%s" becomes login escaped, "%d" dn escaped
 * (directory_filter_escape), "%%" a '%'. -1 when out is too small, the
 * template holds another '%' sequence, or its parentheses do not balance
 * (the template's own, before any value goes in).
 */
long directory_filter_expand(char *out, size_t outlen, const char *template,
			     const char *login, size_t login_len, const char *dn);

/* Whether a template is one directory_filter_expand accepts: 0, or -1
 * with the reason in err. */
int directory_filter_check(const char *template, char *err, size_t errlen);

#endif
