#include "process.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int process_drop_net_admin(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = CAP_TO_MASK(CAP_NET_ADMIN);
	unsigned word = CAP_TO_INDEX(CAP_NET_ADMIN);

	/* the ambient set first: a capability leaves it anyway when it leaves
	 * the permitted set, but a kernel without ambient sets says EINVAL */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_ADMIN, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "cannot lower CAP_NET_ADMIN (ambient): %s", strerror(errno));
		return -1;
	}
	/* glibc does not wrap capget/capset; the raw calls need no libcap */
	if (syscall(SYS_capget, &hdr, data) < 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(err, errlen, "cannot drop CAP_NET_ADMIN: %s", strerror(errno));
		return -1;
	}
	/* the bounding set needs CAP_SETPCAP, which the unit does not grant:
	 * with NoNewPrivileges nothing can bring the capability back anyway */
	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0) < 0 && errno != EPERM && errno != EINVAL) {
		snprintf(err, errlen, "cannot drop CAP_NET_ADMIN (bounding set): %s", strerror(errno));
		return -1;
	}
	return 0;
}
