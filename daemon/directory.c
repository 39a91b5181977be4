#include "directory.h"

#include <errno.h>
#include <ldap.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "secretfile.h"

#define DIRECTORY_URIS_MAX   8
#define DIRECTORY_SECRET_MAX 512
#define DIRECTORY_FILTER_MAX 2048

/* Active Directory's userAccountControl bit of a disabled account
 * (ADS_UF_ACCOUNTDISABLE). */
#define AD_ACCOUNTDISABLE 0x2

/* One pooled connection: two handles, so the search handle stays bound
 * as the service account while the other binds as the users checked. */
struct directory_conn {
	LDAP *search;
	LDAP *bind;
	unsigned uri;        /* index of the URI both are (or were last) connected to */
	int opened;          /* uri is set: the connection was open once */
	int busy;
};

struct directory {
	char uris[DIRECTORY_URIS_MAX][256];
	int starttls[DIRECTORY_URIS_MAX];
	size_t n_uris;
	unsigned preferred;              /* atomic: the URI that answered last */
	char ca_file[CONFIG_PATH_MAX];
	char base[512];
	char user_filter[512];
	char bind_dn[512];
	char bind_password[DIRECTORY_SECRET_MAX];
	size_t bind_password_len;
	unsigned timeout;                /* s */
	char group_attribute[64];
	char group_base[512];
	char group_filter[512];

	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct directory_conn *conns;
	size_t n_conns;
};

/* A result of an exchange with the server: it answered (whatever it
 * said), or the connection is of no more use. */
enum exchange {
	EXCHANGE_ANSWERED,
	EXCHANGE_BROKEN,
};

const char *directory_answer_name(enum directory_answer a)
{
	switch (a) {
	case DIRECTORY_ACCEPT: return "accept";
	case DIRECTORY_WRONG_PASSWORD: return "wrong password";
	case DIRECTORY_NO_SUCH_USER: return "no such user";
	case DIRECTORY_LOCKED: return "account locked";
	case DIRECTORY_DISABLED: return "account disabled";
	case DIRECTORY_EXPIRED: return "account or password expired";
	case DIRECTORY_UNREACHABLE: return "directory unreachable";
	}
	return "?";
}

/* ------------------------------------------------------------ filters */

long directory_filter_escape(char *out, size_t outlen, const char *value, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c > 0x7e || c == '*' || c == '(' || c == ')' || c == '\\') {
			if (o + 3 >= outlen)
				goto full;
			out[o++] = '\\';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return (long)o;
full:
	out[0] = '\0';
	return -1;
}

int directory_filter_check(const char *template, char *err, size_t errlen)
{
	int depth = 0;

	if (template[0] != '(') {
		snprintf(err, errlen, "a filter starts with '(' (RFC 4515)");
		return -1;
	}
	for (const char *p = template; *p; p++) {
		if (*p == '%') {
			if (p[1] != 's' && p[1] != 'd' && p[1] != '%') {
				snprintf(err, errlen, "'%%%c': only %%s (the login name), %%d (the "
					 "user's entry) and %%%% may follow a '%%'", p[1] ? p[1] : ' ');
				return -1;
			}
			p++;
		} else if (*p == '\\') {
			/* an escaped byte of the template's own values */
			if (!p[1] || !p[2]) {
				snprintf(err, errlen, "a '\\' ends the filter");
				return -1;
			}
			p += 2;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (--depth < 0)
				break;
			if (depth == 0 && p[1]) {
				snprintf(err, errlen, "text after the filter's closing ')'");
				return -1;
			}
		}
	}
	if (depth != 0) {
		snprintf(err, errlen, "the parentheses do not balance");
		return -1;
	}
	return 0;
}

long directory_filter_expand(char *out, size_t outlen, const char *template,
			     const char *login, size_t login_len, const char *dn)
{
	char err[128];
	size_t o = 0;
	long n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (directory_filter_check(template, err, sizeof(err)) < 0)
		return -1;
	for (const char *p = template; *p; p++) {
		if (*p != '%') {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = *p;
			continue;
		}
		p++;
		if (*p == '%') {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = '%';
			continue;
		}
		if (*p == 's')
			n = directory_filter_escape(out + o, outlen - o, login, login_len);
		else
			n = directory_filter_escape(out + o, outlen - o, dn ? dn : "",
						    dn ? strlen(dn) : 0);
		if (n < 0)
			goto full;
		o += (size_t)n;
	}
	out[o] = '\0';
	return (long)o;
full:
	out[0] = '\0';
	return -1;
}

/* ------------------------------------------------------------ connections */

static void conn_close(struct directory_conn *c)
{
	if (c->search)
		ldap_unbind_ext_s(c->search, NULL, NULL);
	if (c->bind)
		ldap_unbind_ext_s(c->bind, NULL, NULL);
	c->search = c->bind = NULL;
}

static int network_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE || rc == LDAP_LOCAL_ERROR ||
	       rc == LDAP_NO_MEMORY || rc == LDAP_ENCODING_ERROR || rc == LDAP_DECODING_ERROR;
}

/* A handle to URI i with TLS as the configuration says, connected (the
 * TCP connection and, for StartTLS, the upgrade). NULL on failure, with
 * the reason logged. */
static LDAP *handle_open(struct directory *d, size_t i)
{
	struct timeval tv = { .tv_sec = d->timeout };
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, zero = 0, rc;
	LDAP *ld = NULL;

	rc = ldap_initialize(&ld, d->uris[i]);
	if (rc != LDAP_SUCCESS) {
		log_warn("ldap: %s: %s", d->uris[i], ldap_err2string(rc));
		return NULL;
	}
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS ||
	    (d->ca_file[0] &&
	     ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->ca_file) != LDAP_OPT_SUCCESS) ||
	    /* the TLS settings above are this handle's own, not the process's */
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
		log_warn("ldap: %s: cannot set the connection's options", d->uris[i]);
		goto fail;
	}
	if (d->starttls[i]) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			char *diag = NULL;

			ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
			log_warn("ldap: %s: StartTLS: %s%s%s", d->uris[i], ldap_err2string(rc),
				 diag ? ": " : "", diag ? diag : "");
			ldap_memfree(diag);
			goto fail;
		}
	}
	return ld;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/*
 * A simple bind of ld as dn with password, waiting at most the timeout.
 * *rc_out: the server's result code; *ppolicy_locked: its password policy
 * response control (draft-behera-ldap-password-policy section 6.2) said
 * accountLocked; diag (may be NULL) its diagnostic message.
 */
static enum exchange simple_bind(struct directory *d, LDAP *ld, const char *dn,
				 const char *password, size_t password_len, int *rc_out,
				 int *ppolicy_locked, char *diag, size_t diaglen)
{
	struct berval cred = { .bv_len = password_len, .bv_val = (char *)password };
	struct timeval tv = { .tv_sec = d->timeout };
	LDAPControl *req = NULL, *sctrls[2] = { NULL, NULL }, **ctrls = NULL, *pp;
	LDAPMessage *msg = NULL;
	char *text = NULL;
	int msgid, rc, err = LDAP_OTHER;
	enum exchange ex = EXCHANGE_BROKEN;

	*ppolicy_locked = 0;
	if (diag && diaglen)
		diag[0] = '\0';
	if (ldap_create_passwordpolicy_control(ld, &req) == LDAP_SUCCESS)
		sctrls[0] = req;
	rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
	if (rc != LDAP_SUCCESS) {
		*rc_out = rc;
		goto out;
	}
	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &msg);
	if (rc <= 0) {
		*rc_out = rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
		if (rc == 0)
			ldap_abandon_ext(ld, msgid, NULL, NULL);
		goto out;
	}
	rc = ldap_parse_result(ld, msg, &err, NULL, &text, NULL, &ctrls, 0);
	if (rc != LDAP_SUCCESS) {
		*rc_out = rc;
		goto out;
	}
	*rc_out = err;
	ex = network_error(err) ? EXCHANGE_BROKEN : EXCHANGE_ANSWERED;
	if (ctrls && (pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL))) {
		LDAPPasswordPolicyError pperr = PP_noError;
		ber_int_t expire, grace;

		if (ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace, &pperr) ==
		    LDAP_SUCCESS && pperr == PP_accountLocked)
			*ppolicy_locked = 1;
	}
	if (diag && diaglen && text)
		log_escape(diag, diaglen, text, strlen(text));
out:
	if (msg)
		ldap_msgfree(msg);
	if (ctrls)
		ldap_controls_free(ctrls);
	if (req)
		ldap_control_free(req);
	ldap_memfree(text);
	return ex;
}

/* Open c to the first URI that answers, from the one that answered last:
 * both handles connected, the search handle bound as the service account
 * (anonymously without a bind_dn). 0, or -1 when none answered. */
static int conn_open(struct directory *d, struct directory_conn *c)
{
	unsigned start = __atomic_load_n(&d->preferred, __ATOMIC_RELAXED);

	conn_close(c);
	for (size_t k = 0; k < d->n_uris; k++) {
		unsigned i = (unsigned)((start + k) % d->n_uris);
		char diag[160];
		int rc, locked;

		c->search = handle_open(d, i);
		if (!c->search)
			continue;
		if (simple_bind(d, c->search, d->bind_dn[0] ? d->bind_dn : NULL, d->bind_password,
				d->bind_password_len, &rc, &locked, diag, sizeof(diag)) !=
		    EXCHANGE_ANSWERED || rc != LDAP_SUCCESS) {
			log_warn("ldap: %s: the service account's bind failed: %s%s%s", d->uris[i],
				 ldap_err2string(rc), diag[0] ? ": " : "", diag);
			conn_close(c);
			continue;
		}
		c->bind = handle_open(d, i);
		if (!c->bind) {
			conn_close(c);
			continue;
		}
		if (i != start)
			__atomic_store_n(&d->preferred, i, __ATOMIC_RELAXED);
		if (c->opened && i != c->uri)
			log_notice("ldap: now using %s", d->uris[i]);
		else if (!c->opened && i != 0)
			log_notice("ldap: now using %s (%s did not answer)", d->uris[i], d->uris[0]);
		c->uri = i;
		c->opened = 1;
		return 0;
	}
	return -1;
}

/* After an exchange on c broke: close it; the next conn_open starts with
 * the URI after it, unless another thread moved on already. */
static void conn_broken(struct directory *d, struct directory_conn *c)
{
	unsigned was = c->uri;

	log_warn("ldap: %s stopped answering", d->uris[was]);
	conn_close(c);
	__atomic_compare_exchange_n(&d->preferred, &was, (unsigned)((was + 1) % d->n_uris), 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Wait (at most the timeout) for a free connection. NULL: none came free. */
static struct directory_conn *conn_take(struct directory *d)
{
	struct directory_conn *c = NULL;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += d->timeout;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		for (size_t i = 0; i < d->n_conns; i++) {
			if (!d->conns[i].busy) {
				c = &d->conns[i];
				c->busy = 1;
				goto out;
			}
		}
		if (pthread_cond_timedwait(&d->freed, &d->lock, &until) == ETIMEDOUT)
			break;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return c;
}

static void conn_give(struct directory *d, struct directory_conn *c)
{
	pthread_mutex_lock(&d->lock);
	c->busy = 0;
	pthread_cond_signal(&d->freed);
	pthread_mutex_unlock(&d->lock);
}

/* ------------------------------------------------------------ checks */

/* A group's name: the value of its DN's first RDN (cn=staff,ou=... is
 * "staff"); a value that is no DN is a name already. */
static void group_add(struct directory_result *res, const char *value, size_t len)
{
	LDAPDN dn = NULL;
	struct berval bv = { .bv_len = len, .bv_val = (char *)value };
	char *name = res->groups[res->n_groups];

	if (res->n_groups >= DIRECTORY_GROUPS_MAX || len == 0)
		return;
	if (ldap_bv2dn(&bv, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && dn && dn[0] &&
	    dn[0][0]) {
		struct berval *v = &dn[0][0]->la_value;

		log_escape(name, DIRECTORY_GROUP_LEN, v->bv_val, v->bv_len);
	} else {
		log_escape(name, DIRECTORY_GROUP_LEN, value, len);
	}
	if (dn)
		ldap_dnfree(dn);
	for (size_t i = 0; i < res->n_groups; i++)
		if (!strcmp(res->groups[i], name))
			return;
	res->n_groups++;
}

/* The groups of the entry (its group_attribute values, msg its search
 * result) and of the group search. EXCHANGE_BROKEN when the group search
 * could not be made. */
static enum exchange read_groups(struct directory *d, struct directory_conn *c,
				 LDAPMessage *entry, const char *login, struct directory_result *res)
{
	char filter[DIRECTORY_FILTER_MAX];
	struct timeval tv = { .tv_sec = d->timeout };
	char *attrs[] = { "cn", NULL };
	LDAPMessage *msg = NULL;
	int rc;

	res->n_groups = 0;
	if (d->group_attribute[0] && entry) {
		struct berval **vals = ldap_get_values_len(c->search, entry, d->group_attribute);

		for (size_t i = 0; vals && vals[i]; i++)
			group_add(res, vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
	}
	if (!d->group_filter[0])
		return EXCHANGE_ANSWERED;
	if (directory_filter_expand(filter, sizeof(filter), d->group_filter, login, strlen(login),
				    res->dn) < 0) {
		log_warn("ldap: the group filter is too long for this user's entry");
		return EXCHANGE_ANSWERED;
	}
	rc = ldap_search_ext_s(c->search, d->group_base[0] ? d->group_base : d->base,
			       LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &tv,
			       DIRECTORY_GROUPS_MAX, &msg);
	if (network_error(rc)) {
		if (msg)
			ldap_msgfree(msg);
		return EXCHANGE_BROKEN;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
		log_warn("ldap: group search: %s", ldap_err2string(rc));
	for (LDAPMessage *e = msg ? ldap_first_entry(c->search, msg) : NULL; e;
	     e = ldap_next_entry(c->search, e)) {
		struct berval **vals = ldap_get_values_len(c->search, e, "cn");

		if (vals && vals[0]) {
			group_add(res, vals[0]->bv_val, vals[0]->bv_len);
		} else {
			char *gdn = ldap_get_dn(c->search, e);

			if (gdn)
				group_add(res, gdn, strlen(gdn));
			ldap_memfree(gdn);
		}
		ldap_value_free_len(vals);
	}
	if (msg)
		ldap_msgfree(msg);
	return EXCHANGE_ANSWERED;
}

/* What the entry's own attributes say about the account: 1 locked by the
 * password policy (pwdAccountLockedTime), 2 disabled (AD's
 * userAccountControl), 0 neither. */
static int entry_state(LDAP *ld, LDAPMessage *entry)
{
	struct berval **vals;
	int state = 0;

	vals = ldap_get_values_len(ld, entry, "userAccountControl");
	if (vals && vals[0] && vals[0]->bv_len < 16) {
		char num[16];

		memcpy(num, vals[0]->bv_val, vals[0]->bv_len);
		num[vals[0]->bv_len] = '\0';
		if (strtoul(num, NULL, 10) & AD_ACCOUNTDISABLE)
			state = 2;
	}
	ldap_value_free_len(vals);
	if (state)
		return state;
	vals = ldap_get_values_len(ld, entry, "pwdAccountLockedTime");
	if (vals && vals[0])
		state = 1;
	ldap_value_free_len(vals);
	return state;
}

/* Active Directory says why a bind failed in its diagnostic message:
 * "... data 775, ..." (RFC 4511 section 4.1.9 leaves its form to the
 * server). */
static enum directory_answer ad_reason(const char *diag)
{
	const char *p = strstr(diag, " data ");

	if (!p)
		return DIRECTORY_WRONG_PASSWORD;
	p += 6;
	if (!strncmp(p, "775", 3))
		return DIRECTORY_LOCKED;
	if (!strncmp(p, "533", 3))
		return DIRECTORY_DISABLED;
	if (!strncmp(p, "532", 3) || !strncmp(p, "701", 3) || !strncmp(p, "773", 3))
		return DIRECTORY_EXPIRED;
	return DIRECTORY_WRONG_PASSWORD;
}

/*
 * One attempt on c: search the entry, then (password not NULL) bind as
 * it. EXCHANGE_BROKEN when the connection failed on the way (the caller
 * tries again on another); otherwise res is the answer.
 */
static enum exchange check_on(struct directory *d, struct directory_conn *c, const char *login,
			      const char *password, size_t password_len,
			      struct directory_result *res)
{
	char filter[DIRECTORY_FILTER_MAX], diag[160];
	struct timeval tv = { .tv_sec = d->timeout };
	char *attrs[] = { "pwdAccountLockedTime", "userAccountControl", NULL, NULL };
	LDAPMessage *msg = NULL, *entry;
	enum exchange ex = EXCHANGE_ANSWERED;
	int rc, n, locked, state;
	char *dn;

	if (d->group_attribute[0])
		attrs[2] = d->group_attribute;
	res->dn[0] = '\0';
	res->n_groups = 0;
	if (directory_filter_expand(filter, sizeof(filter), d->user_filter, login, strlen(login),
				    NULL) < 0) {
		res->answer = DIRECTORY_NO_SUCH_USER;
		snprintf(res->detail, sizeof(res->detail), "the login name does not fit the filter");
		return EXCHANGE_ANSWERED;
	}
	/* two at most: one is the user, a second means the filter is not
	 * one user's, and nobody is let in through it */
	rc = ldap_search_ext_s(c->search, d->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
			       NULL, &tv, 2, &msg);
	if (network_error(rc)) {
		ex = EXCHANGE_BROKEN;
		goto out;
	}
	n = msg ? ldap_count_entries(c->search, msg) : 0;
	if (rc == LDAP_SIZELIMIT_EXCEEDED || n > 1) {
		res->answer = DIRECTORY_NO_SUCH_USER;
		snprintf(res->detail, sizeof(res->detail),
			 "the user filter matches more than one entry");
		goto out;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		res->answer = DIRECTORY_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "search: %s", ldap_err2string(rc));
		goto out;
	}
	entry = n == 1 ? ldap_first_entry(c->search, msg) : NULL;
	dn = entry ? ldap_get_dn(c->search, entry) : NULL;
	if (dn) {
		snprintf(res->dn, sizeof(res->dn), "%s", dn);
		ldap_memfree(dn);
	}
	if (!res->dn[0]) {
		res->answer = DIRECTORY_NO_SUCH_USER;
		snprintf(res->detail, sizeof(res->detail), "no entry matches the user filter");
		goto out;
	}
	state = entry_state(c->search, entry);
	if (!password) {
		res->answer = DIRECTORY_ACCEPT;
		res->standing = state == 2 ? DIRECTORY_DISABLED
			      : state == 1 ? DIRECTORY_LOCKED : DIRECTORY_ACCEPT;
		ex = read_groups(d, c, entry, login, res);
		goto out;
	}
	if (simple_bind(d, c->bind, res->dn, password, password_len, &rc, &locked, diag,
			sizeof(diag)) != EXCHANGE_ANSWERED) {
		ex = EXCHANGE_BROKEN;
		goto out;
	}
	if (rc == LDAP_SUCCESS) {
		if (state == 2) {
			res->answer = DIRECTORY_DISABLED;
			snprintf(res->detail, sizeof(res->detail),
				 "userAccountControl: the account is disabled");
		} else {
			res->answer = DIRECTORY_ACCEPT;
			ex = read_groups(d, c, entry, login, res);
		}
	} else if (rc == LDAP_INVALID_CREDENTIALS) {
		res->answer = ad_reason(diag);
		if (locked || (res->answer == DIRECTORY_WRONG_PASSWORD && state == 1)) {
			res->answer = DIRECTORY_LOCKED;
			snprintf(res->detail, sizeof(res->detail),
				 "password policy: the account is locked (pwdAccountLockedTime)");
		} else if (state == 2) {
			res->answer = DIRECTORY_DISABLED;
			snprintf(res->detail, sizeof(res->detail),
				 "userAccountControl: the account is disabled");
		} else {
			snprintf(res->detail, sizeof(res->detail), "bind: %s%s%s",
				 ldap_err2string(rc), diag[0] ? ": " : "", diag);
		}
	} else {
		/* the directory refused for a reason of its own (a constraint,
		 * unwillingToPerform): not a password anyone can use */
		res->answer = DIRECTORY_WRONG_PASSWORD;
		snprintf(res->detail, sizeof(res->detail), "bind: %s%s%s", ldap_err2string(rc),
			 diag[0] ? ": " : "", diag);
	}
out:
	if (msg)
		ldap_msgfree(msg);
	return ex;
}

static enum directory_answer directory_ask(struct directory *d, const char *username,
					   const char *password, size_t password_len,
					   struct directory_result *res)
{
	struct directory_conn *c;

	memset(res, 0, sizeof(*res));
	res->answer = DIRECTORY_UNREACHABLE;
	c = conn_take(d);
	if (!c) {
		snprintf(res->detail, sizeof(res->detail),
			 "every directory connection stayed busy for %us", d->timeout);
		return res->answer;
	}
	/* a connection idle in the pool may have been closed by the server:
	 * one more round after a break, which opens it again */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!c->search && conn_open(d, c) < 0) {
			snprintf(res->detail, sizeof(res->detail),
				 "no directory URI answered within %us", d->timeout);
			res->answer = DIRECTORY_UNREACHABLE;
			break;
		}
		if (check_on(d, c, username, password, password_len, res) == EXCHANGE_ANSWERED)
			break;
		conn_broken(d, c);
		res->answer = DIRECTORY_UNREACHABLE;
		snprintf(res->detail, sizeof(res->detail), "the directory stopped answering");
	}
	conn_give(d, c);
	return res->answer;
}

enum directory_answer directory_check(struct directory *d, const char *username,
				      const char *password, size_t password_len,
				      struct directory_result *res)
{
	if (password_len == 0) {
		/* RFC 4513 section 5.1.2: a bind with a name and no password is
		 * unauthenticated, and succeeds */
		memset(res, 0, sizeof(*res));
		res->answer = DIRECTORY_WRONG_PASSWORD;
		snprintf(res->detail, sizeof(res->detail), "empty password (never sent)");
		return res->answer;
	}
	return directory_ask(d, username, password, password_len, res);
}

enum directory_answer directory_lookup(struct directory *d, const char *username,
				       struct directory_result *res)
{
	return directory_ask(d, username, NULL, 0, res);
}

/* ------------------------------------------------------------ life */

static int parse_uris(struct directory *d, const char *list, int allow_plaintext, char *err,
		      size_t errlen)
{
	const char *p = list;

	while (*p) {
		size_t len;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		len = strcspn(p, " ,\t");
		if (d->n_uris == DIRECTORY_URIS_MAX) {
			snprintf(err, errlen, "ldap.uri: more than %d URIs", DIRECTORY_URIS_MAX);
			return -1;
		}
		if (len >= sizeof(d->uris[0])) {
			snprintf(err, errlen, "ldap.uri: a URI longer than %zu bytes",
				 sizeof(d->uris[0]) - 1);
			return -1;
		}
		memcpy(d->uris[d->n_uris], p, len);
		d->uris[d->n_uris][len] = '\0';
		if (!strncmp(d->uris[d->n_uris], "ldap://", 7)) {
			d->starttls[d->n_uris] = !allow_plaintext;
		} else if (strncmp(d->uris[d->n_uris], "ldaps://", 8) != 0) {
			snprintf(err, errlen, "ldap.uri: '%s': ldaps:// or ldap:// (StartTLS) only",
				 d->uris[d->n_uris]);
			return -1;
		}
		if (!ldap_is_ldap_url(d->uris[d->n_uris])) {
			snprintf(err, errlen, "ldap.uri: '%s' is not an LDAP URL", d->uris[d->n_uris]);
			return -1;
		}
		d->n_uris++;
		p += len;
	}
	if (d->n_uris == 0) {
		snprintf(err, errlen, "ldap.uri: no directory URI");
		return -1;
	}
	return 0;
}

struct directory *directory_new(const struct config *cfg, char *err, size_t errlen)
{
	struct directory *d = calloc(1, sizeof(*d));
	char why[256];

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->freed, NULL);
	{
		/* libldap's process-wide state is made on its first use: here,
		 * on the starting thread, not by two checking threads at once */
		int version;

		ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version);
	}
	if (parse_uris(d, cfg->ldap_uri, cfg->ldap_allow_plaintext, err, errlen) < 0)
		goto fail;
	if (!cfg->ldap_base[0]) {
		snprintf(err, errlen, "ldap.base: the DN under which users are searched is not set");
		goto fail;
	}
	if (directory_filter_check(cfg->ldap_user_filter, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "ldap.user_filter: %s", why);
		goto fail;
	}
	if (!strstr(cfg->ldap_user_filter, "%s")) {
		snprintf(err, errlen, "ldap.user_filter: must hold %%s, where the login name goes");
		goto fail;
	}
	if (cfg->ldap_group_filter[0] &&
	    directory_filter_check(cfg->ldap_group_filter, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "ldap.group_filter: %s", why);
		goto fail;
	}
	if (cfg->ldap_bind_dn[0] && !cfg->ldap_bind_password_file[0]) {
		snprintf(err, errlen, "ldap.bind_dn is set without ldap.bind_password_file");
		goto fail;
	}
	if (!cfg->ldap_bind_dn[0] && cfg->ldap_bind_password_file[0]) {
		snprintf(err, errlen, "ldap.bind_password_file is set without ldap.bind_dn");
		goto fail;
	}
	if (cfg->ldap_bind_password_file[0]) {
		long n = secretfile_read(cfg->ldap_bind_password_file, d->bind_password,
					 sizeof(d->bind_password), why, sizeof(why));

		if (n < 0) {
			snprintf(err, errlen, "ldap.bind_password_file: %s", why);
			goto fail;
		}
		d->bind_password_len = (size_t)n;
	}
	snprintf(d->ca_file, sizeof(d->ca_file), "%s", cfg->ldap_ca_file);
	snprintf(d->base, sizeof(d->base), "%s", cfg->ldap_base);
	snprintf(d->user_filter, sizeof(d->user_filter), "%s", cfg->ldap_user_filter);
	snprintf(d->bind_dn, sizeof(d->bind_dn), "%s", cfg->ldap_bind_dn);
	snprintf(d->group_attribute, sizeof(d->group_attribute), "%s", cfg->ldap_group_attribute);
	snprintf(d->group_base, sizeof(d->group_base), "%s", cfg->ldap_group_base);
	snprintf(d->group_filter, sizeof(d->group_filter), "%s", cfg->ldap_group_filter);
	d->timeout = cfg->ldap_timeout ? cfg->ldap_timeout : 5;
	d->n_conns = cfg->ldap_connections ? cfg->ldap_connections : 1;
	d->conns = calloc(d->n_conns, sizeof(*d->conns));
	if (!d->conns) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return d;
fail:
	directory_free(d);
	return NULL;
}

int directory_config_check(const struct config *cfg, char *err, size_t errlen)
{
	const char *p = cfg->auth_sources;
	struct directory *d;

	while (*p) {
		size_t len = strcspn(p, ", ");

		if (len == 4 && !strncmp(p, "ldap", 4)) {
			d = directory_new(cfg, err, errlen);
			directory_free(d);
			return d ? 0 : -1;
		}
		p += len;
		p += strspn(p, ", ");
	}
	return 0;
}

void directory_free(struct directory *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->conns && i < d->n_conns; i++)
		conn_close(&d->conns[i]);
	free(d->conns);
	OPENSSL_cleanse(d->bind_password, sizeof(d->bind_password));
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->freed);
	free(d);
}
