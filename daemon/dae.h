/*
 * dae — the RADIUS Dynamic Authorization listener (RFC 5176): a RADIUS
 * server ends a portal session with a Disconnect-Request, or changes its
 * Session-Timeout / Idle-Timeout with a CoA-Request, sent to
 * [radius] dae_listen (UDP).
 *
 * A thread of its own receives, checks and answers, off the proxy's
 * workers. A request is dropped, and the log says why (at most one line
 * a second for each kind of drop, with the count of those not written),
 * when it comes from an address outside [radius] dae_clients, or is not
 * signed with the shared secret of [radius] secret_file (its Request
 * Authenticator, and a Message-Authenticator it must carry: RFC 5176
 * §3.5, §5; radius_dae.h). A request the same server sent again (the
 * same source, identifier and Request Authenticator within 10 s) is
 * answered with the first answer, not acted on twice (RFC 5176 §2.3).
 *
 * What a request names, every attribute given matching (RFC 5176 §3):
 * User-Name, Framed-IP-Address / Framed-IPv6-Address, Calling-Station-Id
 * (the device's MAC), Acct-Session-Id (the accounting's, RFC 2866 §5.5). Disconnect-Request ends the sessions as a kick does
 * (intercept_disconnect) and is answered Disconnect-ACK once their
 * traffic is cut; CoA-Request gives them the Session-Timeout (s from now)
 * and Idle-Timeout it carries (intercept_change_limits) and is answered
 * CoA-ACK. NAK with Error-Cause (RFC 5176 §3.5): 503 no live session
 * matches; 402 nothing names a session, or a CoA changes nothing; 401
 * an attribute this gateway does not act on; 403 a NAS-Identifier not this
 * gateway's; 407 an attribute whose value cannot be read; 506 the
 * database failed.
 */
#ifndef PORTCULLIS_DAE_H
#define PORTCULLIS_DAE_H

#include <stddef.h>

struct config;
struct intercept;
struct dae;

/* Read the secret, bind [radius] dae_listen, start the thread. cfg and ix
 * borrowed for the object's life (free it before ix). NULL with a message
 * on failure. */
struct dae *dae_new(const struct config *cfg, struct intercept *ix, char *err, size_t errlen);
/* Stops and joins the thread, closes the socket, wipes the secret;
 * accepts NULL. */
void dae_free(struct dae *d);

#endif
