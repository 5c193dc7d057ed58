#include "fremdrift/http_server.h"
#include "http_internal.h"
#include "fremdrift/buf.h"
#include "fremdrift/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <strings.h>

#define READ_CHUNK 65536
/* While the handler has a request the connection goes on reading, into
 * pending, until this much is held; only then does it stop reading
 * (backpressure). A keep-alive client sends nothing until it has its
 * answer, so stopping and restarting the read for every request would
 * only cost two epoll_ctl calls each. */
#define HOLD_BYTES READ_CHUNK
/* After refusing a request the client may still be sending it: read and
 * discard this much, or for this long, so that closing does not reset the
 * connection before the client has read the answer. */
#define LINGER_BYTES (8u << 20)
#define LINGER_MS 2000

struct http_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shutdown;
	struct http_server *srv;
	struct http_conn *prev, *next;
	struct http_req req;
	struct fr_buf pending;   /* bytes received but not yet parsed */
	char *readbuf;
	int reading;
	int in_handler;          /* the handler has the request */
	int held;                /* from the handler taking a request to its
				  * answer written: bytes read wait in pending */
	int closing;             /* uv_close called */
	int close_after;         /* close once the current answer is written */
	int linger;              /* ... after lingering (refused mid-request) */
	int draining;            /* answered and shut down; discarding input */
	int partial;             /* some bytes of a request have arrived */
	size_t drained;
	uint64_t request_start;
	uint64_t last_read;
	unsigned char addr[16];  /* the client's address, for the per-client cap */
	int handles;             /* open handles: tcp and timer */
};

struct http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	struct http_server_opts opts;
	struct http__limits lim;
	http_handler_cb handler;
	void *data;
	struct http_conn *conns;
	unsigned nconns;
	int port;
	int closing;
	int listener_open;
	void (*close_cb)(void *);
	void *close_data;
};

static void conn_process(struct http_conn *c, const char *data, size_t len);
static void conn_close(struct http_conn *c);

const char *http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 303: return "See Other";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* ---- connection life ---- */

static void conn_freed(uv_handle_t *h)
{
	struct http_conn *c = h->data;
	struct http_server *s = c->srv;

	if (--c->handles > 0)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	http__req_free(&c->req);
	fr_buf_free(&c->pending);
	free(c->readbuf);
	free(c);
	if (s->closing && s->nconns == 0 && !s->listener_open) {
		if (s->close_cb)
			s->close_cb(s->close_data);
		free(s);
	}
}

static void conn_close(struct http_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_timer_stop(&c->timer);
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = 0;
	uv_close((uv_handle_t *)&c->timer, conn_freed);
	uv_close((uv_handle_t *)&c->tcp, conn_freed);
}

struct write_req {
	uv_write_t req;
	struct http_conn *conn;
	int resume; /* this write answers a request: parse on afterwards */
	size_t len;
	char data[];
};

static void conn_resume(struct http_conn *c);
static void conn_linger(struct http_conn *c);

static void on_write(uv_write_t *w, int status)
{
	struct write_req *wr = (struct write_req *)w;
	struct http_conn *c = wr->conn;
	int resume = wr->resume;

	free(wr);
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (!resume)
		return;
	if (c->close_after) {
		if (c->linger)
			conn_linger(c);
		else
			conn_close(c);
		return;
	}
	conn_resume(c);
}

/* A write request with room for len bytes, to be filled and sent. */
static struct write_req *new_write(struct http_conn *c, size_t len, int resume)
{
	struct write_req *wr = fr_xmalloc(sizeof(*wr) + len);

	wr->conn = c;
	wr->resume = resume;
	wr->len = len;
	return wr;
}

static int send_write(struct http_conn *c, struct write_req *wr)
{
	uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->len);
	int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);

	if (rc != 0) {
		free(wr);
		conn_close(c);
	}
	return rc;
}

static int queue_write(struct http_conn *c, const char *data, size_t len,
		       int resume)
{
	struct write_req *wr = new_write(c, len, resume);

	memcpy(wr->data, data, len);
	return send_write(c, wr);
}

static void write_raw(struct http_conn *c, const char *text)
{
	queue_write(c, text, strlen(text), 0);
}

static void arm_timer(struct http_conn *c);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct http_conn *c = h->data;

	(void)hint;
	if (c->readbuf == NULL)
		c->readbuf = fr_xmalloc(READ_CHUNK);
	*buf = uv_buf_init(c->readbuf, READ_CHUNK);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *c = stream->data;

	(void)buf;
	if (nread == 0)
		return;
	if (c->draining) {
		/* Refused already: discard until the client stops or too much. */
		c->drained += nread > 0 ? (size_t)nread : 0;
		if (nread < 0 || c->drained > LINGER_BYTES)
			conn_close(c);
		return;
	}
	if (nread < 0) {
		/* EOF or error: an unanswered request is still answered into
		 * the void later; the handles close now. */
		if (c->in_handler || c->held) {
			uv_read_stop(stream);
			c->reading = 0;
			c->close_after = 1;
		} else {
			conn_close(c);
		}
		return;
	}
	if (c->held) {
		/* Held (conn_hold): parsed after the answer is written. Bytes
		 * that cannot be kept end the connection after it. */
		if (fr_buf_append(&c->pending, c->readbuf, (size_t)nread) != 0)
			c->close_after = 1;
		if (c->close_after || c->pending.len >= HOLD_BYTES) {
			uv_read_stop(stream);
			c->reading = 0;
		}
		return;
	}
	c->last_read = uv_now(c->srv->loop);
	if (!c->partial) {
		c->partial = 1;
		c->request_start = c->last_read;
	}
	conn_process(c, c->readbuf, (size_t)nread);
	if (!c->closing && !c->in_handler)
		arm_timer(c);
}

/* Answers a protocol-level problem and closes the connection after it,
 * lingering first: the client may still be sending what was refused. */
static void fail_request(struct http_conn *c, int status, const char *code,
			 const char *message)
{
	c->in_handler = 1;
	c->close_after = 1;
	c->linger = 1;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	http_respond_error(&c->req, status, code, message);
}

static void send_continue(struct http_conn *c)
{
	if (c->req.expect_continue) {
		c->req.expect_continue = 0;
		write_raw(c, "HTTP/1.1 100 Continue\r\n\r\n");
	}
}

/* The request is out of the connection's hands (with the handler, or its
 * headers being checked): time nothing until it is back. Its headers being
 * checked, read no more (none of the body is read before the token is
 * known); with the handler, read on into pending up to HOLD_BYTES. */
static void conn_hold(struct http_conn *c, int keep_reading)
{
	c->in_handler = 1;
	c->held = keep_reading;
	uv_timer_stop(&c->timer);
	if (c->reading && !keep_reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
}

static void conn_process(struct http_conn *c, const char *data, size_t len)
{
	struct http_req *r = &c->req;
	size_t n = http__feed(r, data, len);

	if (r->failed && r->check == HTTP__CHECK_WAITING) {
		/* Malformed, found after its headers went to be checked: the
		 * check still holds r, so refuse once its answer is in. */
		conn_hold(c, 0);
		return;
	}
	if (r->failed) {
		fail_request(c, r->failed, r->fail_code, r->fail_msg);
		return;
	}
	send_continue(c);
	if (n < len && fr_buf_append(&c->pending, data + n, len - n) != 0) {
		fail_request(c, 431, "too_much_pipelined",
			     "too many pipelined bytes");
		return;
	}
	if (r->check == HTTP__CHECK_WAITING) {
		/* Its headers are being checked (http_req_headers_done). */
		conn_hold(c, 0);
		return;
	}
	if (!r->complete)
		return;

	/* A whole request: hand it over and read no more until answered. */
	c->partial = 0;
	conn_hold(c, 1);
	if (!http_should_keep_alive(&r->parser) || c->srv->closing)
		c->close_after = 1;
	c->srv->handler(&c->req, c->srv->data);
}

/* Parses the bytes that came while the request was held (pipelined ones,
 * or a body's first bytes), then reads again. */
static void conn_feed_pending(struct http_conn *c)
{
	struct fr_buf rest = c->pending;

	if (rest.len > 0) {
		/* Take the bytes out first: processing may refill pending. */
		fr_buf_init(&c->pending, rest.max);
		conn_process(c, rest.data, rest.len);
		fr_buf_free(&rest);
		if (c->closing || c->in_handler)
			return;
	}
	if (!c->reading &&
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
		c->reading = 1;
	arm_timer(c);
}

/* After an answer: parse what was pipelined, then read again. */
static void conn_resume(struct http_conn *c)
{
	c->held = 0;
	http__req_next(&c->req);
	if (c->srv->closing) {
		conn_close(c);
		return;
	}
	if (c->pending.len > 0) {
		c->partial = 1;
		c->request_start = uv_now(c->srv->loop);
	}
	conn_feed_pending(c);
}

void http_req_headers_done(struct http_req *r, int status, const char *code,
			   const char *message)
{
	struct http_conn *c = r->conn;

	if (http__headers_answer(r, status, code, message) == 0)
		return; /* answered inside the check: http__feed goes on */
	c->in_handler = 0;
	if (r->failed) {
		/* Nothing of the body was read or held; linger as for any
		 * refusal, since the client may be sending it. */
		fail_request(c, r->failed, r->fail_code, r->fail_msg);
		return;
	}
	if (c->srv->closing) {
		conn_close(c);
		return;
	}
	/* The wait for the answer is not the client's slowness. */
	c->last_read = uv_now(c->srv->loop);
	send_continue(c);
	conn_feed_pending(c);
}

static void on_timer(uv_timer_t *t)
{
	struct http_conn *c = t->data;

	if (c->draining) {
		conn_close(c); /* lingered long enough */
		return;
	}
	if (c->closing || c->in_handler)
		return;
	if (c->partial) {
		log_debug("http", "dropping a client that sent too slowly");
		fail_request(c, 408, "timeout",
			     "the request did not arrive in time");
	} else {
		conn_close(c);
	}
}

/* Idle: idle timeout. Mid-request: the sooner of idle and the deadline. */
static void arm_timer(struct http_conn *c)
{
	const struct http_server_opts *o = &c->srv->opts;
	uint64_t now = uv_now(c->srv->loop), due;

	if (!c->partial) {
		due = now + o->idle_timeout_ms;
	} else {
		uint64_t a = c->last_read + o->idle_timeout_ms;
		uint64_t b = c->request_start + o->request_timeout_ms;

		due = a < b ? a : b;
	}
	uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status; /* the timer or the client's end closes the connection */
}

/*
 * After refusing a request mid-way: the answer is written, so shut down
 * our side and read and discard what the client still sends, for a short
 * while. Closing at once would make the kernel answer the unread bytes
 * with a reset that can destroy the answer before the client reads it.
 */
static void conn_linger(struct http_conn *c)
{
	c->draining = 1;
	c->in_handler = 0;
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
		conn_close(c);
		return;
	}
	if (!c->reading &&
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
		c->reading = 1;
	uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* Between requests or done with: a connection that may be closed to make
 * room for a new one. */
static int conn_evictable(const struct http_conn *c)
{
	return !c->closing && (c->draining || (!c->in_handler && !c->partial));
}

/* Closes the connection that has been quiet the longest; 0 if there was
 * one. Called only at the cap, so the walk costs nothing on the way of an
 * ordinary request. */
static int evict_idle(struct http_server *s, const struct http_conn *newcomer)
{
	struct http_conn *oldest = NULL;

	for (struct http_conn *c = s->conns; c; c = c->next)
		if (c != newcomer && conn_evictable(c) &&
		    (oldest == NULL || c->last_read <= oldest->last_read))
			oldest = c;
	if (oldest == NULL)
		return -1;
	log_debug("http", "closing the longest-idle connection to make room");
	conn_close(oldest);
	return 0;
}

/* Remembers the client's address; returns how many open connections
 * (this one included) come from it. */
static unsigned from_same_client(struct http_server *s, struct http_conn *c)
{
	struct sockaddr_storage a;
	int len = sizeof(a);
	unsigned n = 0;

	memset(&a, 0, sizeof(a));
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&a, &len);
	/* One form for both families: IPv6, with an IPv4 address as
	 * ::ffff:a.b.c.d, which is also how a dual-stack socket sees it. */
	if (a.ss_family == AF_INET6)
		memcpy(c->addr, &((struct sockaddr_in6 *)&a)->sin6_addr, 16);
	else {
		memset(c->addr, 0, 10);
		c->addr[10] = c->addr[11] = 0xff;
		memcpy(c->addr + 12, &((struct sockaddr_in *)&a)->sin_addr, 4);
	}
	for (struct http_conn *o = s->conns; o; o = o->next)
		n += !o->closing && memcmp(o->addr, c->addr, 16) == 0;
	return n;
}

/* Refuses a new connection with status, lingering so the client sees it. */
static void refuse_connection(struct http_conn *c, int status,
			      const char *code, const char *message)
{
	c->in_handler = 1;
	c->close_after = 1;
	c->linger = 1;
	http_respond_error(&c->req, status, code, message);
}

/* The caps on connections: in all, and per client address. */
static int admit(struct http_server *s, struct http_conn *c)
{
	if (s->opts.max_per_client > 0 &&
	    from_same_client(s, c) > s->opts.max_per_client) {
		log_warning("http", "per-client connection limit of %u reached",
			    s->opts.max_per_client);
		refuse_connection(c, 429, "too_many_connections",
				  "too many open connections from your "
				  "address; try again");
		return -1;
	}
	if (s->nconns > s->opts.max_connections && evict_idle(s, c) != 0) {
		/* Every connection is busy: say so rather than leave the
		 * client hanging. */
		log_warning("http", "connection limit of %u reached",
			    s->opts.max_connections);
		refuse_connection(c, 503, "busy",
				  "too many open connections; try again");
		return -1;
	}
	return 0;
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct http_server *s = listener->data;
	struct http_conn *c;

	if (status < 0) {
		log_warning("http", "accept failed: %s", uv_strerror(status));
		return;
	}
	c = fr_xcalloc(1, sizeof(*c));
	c->srv = s;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles = 2;
	c->last_read = uv_now(s->loop);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	http__req_init(&c->req, &s->lim, s->opts.max_header, c);
	fr_buf_init(&c->pending, s->opts.max_body + s->opts.max_header);
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0)
		goto fail;
	uv_tcp_nodelay(&c->tcp, 1);
	if (admit(s, c) != 0)
		return; /* answered; closes after lingering */
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		goto fail;
	c->reading = 1;
	arm_timer(c);
	return;
fail:
	conn_close(c);
}

/* The decimal digits of v into the end of buf; returns where they start. */
static char *put_decimal(char *end, size_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

int http_respond(struct http_req *r, int status, const char *content_type,
		 const char *extra_headers, const void *body, size_t len)
{
	struct http_conn *c = r->conn;
	char code[4], size[24];
	const char *parts[12];
	size_t lens[12], n = 0, total = len;
	struct write_req *wr;
	char *p;

	if (!c->in_handler)
		return FR_ESTATE;
	c->in_handler = 0;
	if (c->closing) {
		/* The client went away; nobody is left to answer. */
		return 0;
	}
	/* The head from its parts, without printf: it is on the way of
	 * every request. no-store unless the handler says how long to keep
	 * the answer (the pages' stylesheet and script are cached for a
	 * year). */
	code[3] = '\0';
	size[sizeof(size) - 1] = '\0';
	parts[n++] = "HTTP/1.1 ";
	parts[n++] = put_decimal(code + 3, (size_t)(status % 1000));
	parts[n++] = " ";
	parts[n++] = http_status_text(status);
	parts[n++] = "\r\nContent-Length: ";
	parts[n++] = put_decimal(size + sizeof(size) - 1, len);
	parts[n++] = extra_headers && strstr(extra_headers, "Cache-Control:")
			     ? "\r\nX-Content-Type-Options: nosniff\r\n"
			     : "\r\nCache-Control: no-store\r\n"
			       "X-Content-Type-Options: nosniff\r\n";
	parts[n++] = content_type ? "Content-Type: " : "";
	parts[n++] = content_type ? content_type : "";
	parts[n++] = content_type ? "\r\n" : "";
	parts[n++] = extra_headers ? extra_headers : "";
	parts[n++] = c->close_after ? "Connection: close\r\n\r\n" : "\r\n";
	for (size_t i = 0; i < n; i++)
		total += (lens[i] = strlen(parts[i]));
	wr = new_write(c, total, 1);
	p = wr->data;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	if (len > 0)
		memcpy(p, body, len);
	return send_write(c, wr);
}

int http_respond_error(struct http_req *r, int status, const char *code,
		       const char *message)
{
	json_t *j = json_pack("{s:s, s:s}", "error", code, "message", message);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc;

	json_decref(j);
	if (text == NULL)
		return http_respond(r, 500, "application/json", NULL,
				    "{\"error\":\"internal\"}", 20);
	rc = http_respond(r, status, "application/json",
			  status == 503 || status == 429 ? "Retry-After: 1\r\n"
							   : NULL,
			  text,
			  strlen(text));
	free(text);
	return rc;
}

int http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
		      http_handler_cb handler, void *data,
		      struct http_server **out, struct fr_err *err)
{
	struct sockaddr_storage addr;
	struct http_server *s;
	int namelen = sizeof(addr);
	int rc;

	*out = NULL;
	if (uv_ip4_addr(opts->host, opts->port, (struct sockaddr_in *)&addr) !=
		    0 &&
	    uv_ip6_addr(opts->host, opts->port, (struct sockaddr_in6 *)&addr) !=
		    0)
		return fr_err_set(err, FR_ECONFIG, "FREMDRIFT_HTTP",
				  "%s is not an IP address", opts->host);

	http_parser_set_max_header_size((uint32_t)opts->max_header);

	s = fr_xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->opts = *opts;
	s->opts.host = NULL;
	s->handler = handler;
	s->data = data;
	s->lim.max_body = opts->max_body;
	s->lim.max_bodies_total = opts->max_bodies_total ? opts->max_bodies_total
							 : SIZE_MAX;
	s->lim.headers_cb = opts->on_headers;
	s->lim.headers_data = data;
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->listener_open = 1;
	rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
	if (rc != 0) {
		fr_err_set(err, rc, "FREMDRIFT_HTTP", "cannot listen on %s:%d: %s",
			   opts->host, opts->port, uv_strerror(rc));
		s->closing = 1;
		http_server_close(s, NULL, NULL);
		return rc;
	}
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&addr, &namelen);
	s->port = ntohs(addr.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&addr)->sin6_port
				: ((struct sockaddr_in *)&addr)->sin_port);
	*out = s;
	return 0;
}

int http_server_port(const struct http_server *s) { return s->port; }

void http_req_peer(const struct http_req *r, unsigned char addr[16])
{
	const struct http_conn *c = r->conn;

	memcpy(addr, c->addr, 16);
}

int http_addr_parse(const char *text, unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET6, text, addr) == 1)
		return 0;
	addr[10] = addr[11] = 0xff;
	return inet_pton(AF_INET, text, addr + 12) == 1 ? 0 : -1;
}

static void listener_closed(uv_handle_t *h)
{
	struct http_server *s = h->data;

	s->listener_open = 0;
	if (s->nconns == 0) {
		if (s->close_cb)
			s->close_cb(s->close_data);
		free(s);
	}
}

void http_server_close(struct http_server *s, void (*cb)(void *data),
		       void *data)
{
	s->closing = 1;
	s->close_cb = cb;
	s->close_data = data;
	for (struct http_conn *c = s->conns; c; c = c->next) {
		if (c->in_handler)
			c->close_after = 1; /* after its answer */
		else
			conn_close(c);
	}
	uv_close((uv_handle_t *)&s->listener, listener_closed);
}

/* 1 if origin is scheme://host for http or https. */
static int origin_is_host(const char *origin, const char *host)
{
	const char *rest;

	if (host == NULL)
		return 0;
	if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else
		return 0;
	return strcasecmp(rest, host) == 0;
}

int http_req_same_origin(const struct http_req *r, const char *origin)
{
	const char *site = http_req_header(r, "sec-fetch-site");
	const char *from = http_req_header(r, "origin");

	if (site && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "none") != 0)
		return 0;
	/* "null" is what a browser sends as the Origin of every form POST
	 * from a page with Referrer-Policy: no-referrer (Fetch, "append a
	 * request Origin header"), as all the pages have: it names no other
	 * site, and Sec-Fetch-Site above still does. */
	if (from && strcmp(from, "null") != 0 && strcasecmp(from, origin) != 0 &&
	    !origin_is_host(from, http_req_header(r, "host")))
		return 0;
	return 1;
}
