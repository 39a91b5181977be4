/*
 * connguard — keeps a libmicrohttpd listener answering while some clients
 * hold connections open on purpose: each address (an IPv6 client by its
 * /64, which one host can fill) may hold at most per_address connections,
 * so a few addresses cannot take every slot, and each request must arrive
 * whole (headers and body) within deadline_s of the connection's start or
 * of the previous answer: a client that trickles a byte every few seconds
 * keeps an idle timeout from ever firing, not this deadline. A watchdog
 * thread closes (shuts down) the connections past their deadline.
 *
 * Wiring: connguard_accept_cb with the guard as MHD_start_daemon's accept
 * policy, connguard_notify_cb with the guard as MHD_OPTION_NOTIFY_CONNECTION;
 * the request handler calls connguard_request_received once a request is
 * complete (its final call, about to answer), the completion callback
 * connguard_request_done. Free the guard after MHD_stop_daemon.
 */
#ifndef PORTCULLIS_CONNGUARD_H
#define PORTCULLIS_CONNGUARD_H

#include <microhttpd.h>
#include <stddef.h>
#include <sys/socket.h>

struct connguard;

/* name ("admin") labels its log lines. NULL with a message on failure. */
struct connguard *connguard_new(const char *name, unsigned per_address, unsigned deadline_s,
				char *err, size_t errlen);
/* Stops the watchdog; the listener must be stopped already. NULL is fine. */
void connguard_free(struct connguard *g);

enum MHD_Result connguard_accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void connguard_notify_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode toe);

/* The request on conn has come whole: no deadline while it is answered. */
void connguard_request_received(struct connguard *g, struct MHD_Connection *conn);
/* Its answer is done: the next request on conn has deadline_s to come. */
void connguard_request_done(struct connguard *g, struct MHD_Connection *conn);

#endif
