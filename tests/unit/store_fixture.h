/*
 * store_fixture.h — a fresh database file per test for the store's unit
 * tests: group_setup makes a temporary directory (STORE_FIXTURE_DIR, a
 * mkdtemp template the including file defines first), setup opens a new
 * database in it as the test's state, teardown closes it and removes the
 * file with its WAL and shared-memory files, group_teardown the directory.
 * Included by one test file each; the functions are its own (static).
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static char dir[] = STORE_FIXTURE_DIR;
static char path[128];

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static int setup(void **state)
{
	static int n;
	char err[256];

	snprintf(path, sizeof(path), "%s/t%d.db", dir, n++);
	*state = store_open(path, err, sizeof(err));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char p[160];

	store_close(*state);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

#endif
