/*
 * A small HTTP/1.1 server on libuv and libhttp-parser. TLS and HTTP/2 are
 * terminated in front of it (see docker/nginx.conf).
 *
 * - Keep-alive and pipelining; one request per connection is handled at a
 *   time, and reading stops while it is (backpressure on a slow handler).
 * - Strict framing (400): CRLF line ends, no folded header lines, no
 *   white space before a header's colon, "METHOD SP target SP HTTP/1.x",
 *   CRLF after each chunk's data; what a proxy could read differently.
 * - Limits: header size (431), body size (413, checked against
 *   Content-Length before the body is read), the body bytes of all
 *   requests together (503), an idle timeout between requests, a deadline
 *   for receiving a whole request (408 against slow clients), a cap on
 *   open connections (the longest-idle one is closed to make room; 503 if
 *   all are busy) and on connections per client address (429).
 * - A request refused before its body was read is answered, then the
 *   server shuts down its side and discards input for a moment (up to
 *   2 s or 8 MiB), so the client reads the answer instead of a reset.
 * - Headers a proxy could pick differently are refused (400): more than
 *   one Host, Authorization, Content-Type or Transfer-Encoding, and
 *   Transfer-Encoding on HTTP/1.0. Transfer-Encoding must be exactly
 *   "chunked"; any other coding, or a list, is answered 501.
 * - Errors are JSON: {"error":"<code>","message":"..."}.
 *
 * Threads: loop thread only. A struct http_req is owned by the server; the
 * handler gets it borrowed and must answer it exactly once with
 * http_respond (now or later, from the loop thread). It stays valid until
 * then, even if the client has gone away meanwhile.
 */
#ifndef FREMDRIFT_HTTP_SERVER_H
#define FREMDRIFT_HTTP_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "fremdrift/err.h"

struct http_server;
struct http_req;

struct http_server_opts {
	const char *host;   /* borrowed during start */
	int port;           /* 0 picks a free port; see http_server_port */
	size_t max_header;  /* request line plus headers */
	size_t max_body;
	unsigned idle_timeout_ms;    /* between requests and between reads */
	unsigned request_timeout_ms; /* first byte to complete request */
	unsigned max_connections;
	unsigned max_per_client;     /* per client address; 0: no cap */
	size_t max_bodies_total;     /* all bodies held together; 0: no cap */
	/*
	 * May be NULL. Called with each request once its headers are in and
	 * before its body is read (the accessors below work; the body is
	 * empty), with the handler's data. Returns 0 to read on, or an HTTP
	 * status to refuse the request with, setting *code and *message to
	 * static strings; the connection is then closed after the answer.
	 * Or returns HTTP_HEADERS_LATER and answers with
	 * http_req_headers_done, during this call or later: meanwhile the
	 * connection is not read and its body holds no memory.
	 */
	int (*on_headers)(struct http_req *req, void *data, const char **code,
			  const char **message);
};

/* on_headers will answer through http_req_headers_done. */
#define HTTP_HEADERS_LATER (-1)

typedef void (*http_handler_cb)(struct http_req *req, void *data);

/*
 * Binds and listens. On failure returns a negative code with err saying
 * why (address in use, bad address); handler is then never called.
 */
int http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
		      http_handler_cb handler, void *data,
		      struct http_server **out, struct fr_err *err);

/* The port actually bound. */
int http_server_port(const struct http_server *s);

/*
 * Stops accepting, closes idle connections at once and the others after
 * their current answer, then frees s and calls cb (may be NULL).
 */
void http_server_close(struct http_server *s, void (*cb)(void *data),
		       void *data);

const char *http_req_method(const struct http_req *r); /* "GET", ... */
const char *http_req_path(const struct http_req *r);   /* without query */
const char *http_req_query(const struct http_req *r);  /* after '?', or "" */
/* The value of header name (case-insensitive), or NULL. */
const char *http_req_header(const struct http_req *r, const char *name);
/* How many times header name came (case-insensitive). */
int http_req_header_count(const struct http_req *r, const char *name);
const char *http_req_body(const struct http_req *r, size_t *len);

/*
 * 0 if the browser says the request (a form POST) came from another site:
 * Sec-Fetch-Site other than same-origin or none, or an Origin other than
 * "null", origin (the public scheme://authority) or this request's Host.
 * A client that sends neither header (not a browser) passes.
 */
int http_req_same_origin(const struct http_req *r, const char *origin);

/* The client's address as 16 bytes in IPv6 form (an IPv4 address as
 * ::ffff:a.b.c.d, as a dual-stack socket sees it), as the per-client
 * connection cap counts it. http_addr_parse reads an address written as
 * text into the same form: 0, or -1 when it is not one. */
void http_req_peer(const struct http_req *r, unsigned char addr[16]);
int http_addr_parse(const char *text, unsigned char addr[16]);

/*
 * The answer to an on_headers call that returned HTTP_HEADERS_LATER: 0 to
 * read the body on, or an HTTP status (with code and message, static
 * strings) to refuse the request with. Called exactly once, during that
 * on_headers call or afterwards from the loop thread; r stays valid until
 * then, even if the client has gone away.
 */
void http_req_headers_done(struct http_req *r, int status, const char *code,
			   const char *message);

/*
 * A short text the headers callback leaves for the handler of the same
 * request (who the token belongs to, say): copied, cut at
 * HTTP_REQ_NOTE_MAX - 1 bytes, and emptied before the next request.
 * http_req_note returns "" when none was left.
 */
#define HTTP_REQ_NOTE_MAX 80
void http_req_set_note(struct http_req *r, const char *text);
const char *http_req_note(const struct http_req *r);

/*
 * Answers r with status and body (len bytes, borrowed; copied).
 * content_type may be NULL for no body type; extra_headers (may be NULL)
 * is inserted verbatim and must end each line with CRLF. r is invalid
 * afterwards. Returns 0 or a negative code (the answer is then dropped and
 * the connection closed).
 */
int http_respond(struct http_req *r, int status, const char *content_type,
		 const char *extra_headers, const void *body, size_t len);

/* Answers with a JSON error body {"error":code,"message":message}. */
int http_respond_error(struct http_req *r, int status, const char *code,
		       const char *message);

/* The reason phrase of a status code ("Not Found"). */
const char *http_status_text(int status);

#endif
