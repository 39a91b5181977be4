#include "idsource.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "passwd.h"

/* The identity sources this build knows: one line each. */
static const struct {
	const char *name;
	idsource_create_fn create;
} sources[] = {
	{ "local", idsource_local_new },
	{ "ldap", idsource_ldap_new },
	{ "radius", idsource_radius_new },
};

static struct {
	const char *name;
	idsource_create_fn create;
} extra[IDSOURCE_EXTRA_MAX];
static size_t n_extra;

static idsource_create_fn idsource_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i].name, name) == 0)
			return sources[i].create;
	for (size_t i = 0; i < n_extra; i++)
		if (strcmp(extra[i].name, name) == 0)
			return extra[i].create;
	return NULL;
}

int idsource_known(const char *name)
{
	return idsource_find(name) != NULL;
}

int idsource_register(const char *name, idsource_create_fn create)
{
	if (idsource_find(name) || n_extra == IDSOURCE_EXTRA_MAX)
		return -1;
	extra[n_extra].name = name;
	extra[n_extra].create = create;
	n_extra++;
	return 0;
}

struct idsource *idsource_new(const char *name, const struct idsource_env *env, char *err,
			      size_t errlen)
{
	idsource_create_fn create = idsource_find(name);

	if (!create) {
		snprintf(err, errlen, "unknown identity source '%s'", name);
		return NULL;
	}
	return create(env, err, errlen);
}

int idsource_attrs_add_group(struct idsource_attrs *a, const char *name)
{
	size_t len = strlen(name) + 1;

	if (len > sizeof(a->groups) - a->groups_len)
		return -1;
	memcpy(a->groups + a->groups_len, name, len);
	a->groups_len += len;
	a->n_groups++;
	return 0;
}

/* The stand-in for a user who does not exist: a hash of a random password
 * with the default cost, made once. */
static char dummy_phc[PASSWD_HASH_MAX];
static int dummy_rc = -1;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	char pw[24];

	if (passwd_generate(pw, sizeof(pw) - 1) == 0 &&
	    passwd_hash(pw, sizeof(pw) - 1, &passwd_default_params, dummy_phc,
			sizeof(dummy_phc)) == 0)
		dummy_rc = 0;
	OPENSSL_cleanse(pw, sizeof(pw));
}

int idsource_verify_init(void)
{
	pthread_once(&dummy_once, dummy_make);
	return dummy_rc;
}

int idsource_verify_password(const char *phc, const char *password, size_t password_len)
{
	if (phc)
		return passwd_verify(password, password_len, phc) == 1;
	/* same work as a real check: no timing oracle for names */
	idsource_verify_init();
	passwd_verify(password, password_len, dummy_phc);
	return 0;
}
