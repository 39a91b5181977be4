#include "process.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int process_harden(unsigned long *max_fds, char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 }, fds;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot disable core dumps (PR_SET_DUMPABLE): %s", strerror(errno));
		return -1;
	}
	if (setrlimit(RLIMIT_CORE, &none) < 0) {
		snprintf(err, errlen, "cannot set the core size limit to 0: %s", strerror(errno));
		return -1;
	}
	if (getrlimit(RLIMIT_NOFILE, &fds) < 0) {
		snprintf(err, errlen, "cannot read the descriptor limit: %s", strerror(errno));
		return -1;
	}
	/* raising the soft limit to the hard one needs no privilege; a
	 * failure leaves the old limit, which the accept pause copes with */
	if (fds.rlim_cur < fds.rlim_max) {
		fds.rlim_cur = fds.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &fds) < 0)
			getrlimit(RLIMIT_NOFILE, &fds);
	}
	if (max_fds)
		*max_fds = (unsigned long)fds.rlim_cur;
	return 0;
}
