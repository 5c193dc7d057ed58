/*
 * One HTTP request from raw bytes: http-parser's callbacks, the limits
 * checked while the request arrives, and a strict framing check of our
 * own. Pure (no libuv, no libpq), so tests/fuzz/fuzz_http.c can reach it.
 */
#include "fremdrift/http_server.h"
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A body buffer bigger than this is given back between requests, so an
 * idle keep-alive connection does not sit on a large allocation. */
#define KEEP_BODY_CAP (64u << 10)

/* ---- request accessors ---- */

const char *http_req_method(const struct http_req *r)
{
	return http_method_str((enum http_method)r->parser.method);
}

const char *http_req_path(const struct http_req *r) { return r->path; }
const char *http_req_query(const struct http_req *r) { return r->query; }

const char *http_req_header(const struct http_req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdrs.data + r->hdr[i].name, name) == 0)
			return r->hdrs.data + r->hdr[i].value;
	return NULL;
}

int http_req_header_count(const struct http_req *r, const char *name)
{
	int n = 0;

	for (int i = 0; i < r->nhdr; i++)
		n += strcasecmp(r->hdrs.data + r->hdr[i].name, name) == 0;
	return n;
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
	*len = r->body.len;
	return r->body.data ? r->body.data : "";
}

void http_req_set_note(struct http_req *r, const char *text)
{
	snprintf(r->note, sizeof(r->note), "%s", text);
}

const char *http_req_note(const struct http_req *r) { return r->note; }

/* ---- refusing ---- */

/* Remembers the first reason to refuse r and stops the parser there. */
static int refuse(struct http_req *r, int status, const char *code,
		  const char *message)
{
	if (r->failed == 0) {
		r->failed = status;
		r->fail_code = code;
		r->fail_msg = message;
	}
	if (HTTP_PARSER_ERRNO(&r->parser) == HPE_OK)
		http_parser_pause(&r->parser, 1);
	return 0;
}

static int refuse_headers(struct http_req *r)
{
	return refuse(r, 431, "headers_too_large",
		      "the request line and headers are too large");
}

static int refuse_too_big(struct http_req *r)
{
	snprintf(r->fail_buf, sizeof(r->fail_buf),
		 "the request body is larger than the limit of %zu bytes",
		 r->lim->max_body);
	return refuse(r, 413, "too_large", r->fail_buf);
}

/* Counts n more body bytes against the server-wide total. */
static int reserve(struct http_req *r, size_t n)
{
	struct http__limits *l = r->lim;

	if (n > l->max_bodies_total - l->bodies_held) {
		refuse(r, 503, "busy",
		       "the server holds too many request bodies; try again");
		return -1;
	}
	l->bodies_held += n;
	r->held += n;
	return 0;
}

static void release(struct http_req *r)
{
	r->lim->bodies_held -= r->held;
	r->held = 0;
}

/* ---- parser callbacks ---- */

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_req *r = p->data;

	/* http_parser's own header limit also covers the URL. */
	if (fr_buf_append(&r->url, at, len) != 0)
		return refuse_headers(r);
	return 0;
}

/* Appends to the header store; past its cap the answer will be 431. */
static int hdr_append(struct http_req *r, const char *at, size_t len)
{
	if (fr_buf_append(&r->hdrs, at, len) != 0) {
		refuse_headers(r);
		return 1;
	}
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_req *r = p->data;

	if (r->in_value || r->nhdr == 0) {
		if (r->nhdr > 0 && hdr_append(r, "", 1) != 0)
			return 1;
		if (r->nhdr == HTTP__MAX_HEADERS) {
			refuse_headers(r);
			return 1;
		}
		r->hdr[r->nhdr].name = r->hdrs.len;
		r->hdr[r->nhdr].value = 0;
		r->nhdr++;
		r->in_value = 0;
	}
	return hdr_append(r, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_req *r = p->data;

	if (r->nhdr == 0)
		return 1;
	if (!r->in_value) {
		if (hdr_append(r, "", 1) != 0)
			return 1;
		r->hdr[r->nhdr - 1].value = r->hdrs.len;
		r->in_value = 1;
	}
	return hdr_append(r, at, len);
}

/* Splits the URL into path and query. */
static void split_url(struct http_req *r)
{
	char *q;

	if (r->url.data == NULL)
		fr_buf_append(&r->url, "", 0);
	q = strchr(r->url.data, '?');
	if (q) {
		*q = '\0';
		r->query = q + 1;
	} else {
		r->query = "";
	}
	r->path = r->url.data;
}

/* ---- headers a proxy could read differently ---- */

enum { U_HOST, U_CONTENT_TYPE, U_AUTHORIZATION, U_TE, U_COUNT };

/* Which header that may appear only once name is, or -1; the length tells
 * most names apart before a byte is compared. */
static int unique_header(const char *name)
{
	switch (strlen(name)) {
	case 4:
		return strcasecmp(name, "host") == 0 ? U_HOST : -1;
	case 12:
		return strcasecmp(name, "content-type") == 0 ? U_CONTENT_TYPE : -1;
	case 13:
		return strcasecmp(name, "authorization") == 0 ? U_AUTHORIZATION
							     : -1;
	case 17:
		return strcasecmp(name, "transfer-encoding") == 0 ? U_TE : -1;
	default:
		return -1;
	}
}

/*
 * A transfer coding other than exactly "chunked" (case-insensitive, on
 * HTTP/1.1) could frame the body differently for a proxy than for us: a
 * proxy that decodes "gzip, chunked" or ignores the header on HTTP/1.0
 * sees another request boundary. 0, or -1 having refused r.
 */
static int check_te(struct http_req *r, const char *te)
{
	size_t n = strlen(te);

	while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t'))
		n--;
	if (r->parser.http_minor == 0) {
		refuse(r, 400, "bad_request",
		       "HTTP/1.0 has no Transfer-Encoding");
		return -1;
	}
	if (n != 7 || strncasecmp(te, "chunked", 7) != 0) {
		refuse(r, 501, "not_implemented",
		       "the only transfer coding accepted is chunked");
		return -1;
	}
	return 0;
}

/*
 * Host, Authorization, Content-Type and Transfer-Encoding must come once:
 * with two, this server reads the first and a proxy may judge (or route,
 * or frame by) the last. 0, or -1 having refused r.
 */
static int check_unique(struct http_req *r)
{
	int seen[U_COUNT] = {0};
	const char *te = NULL;

	for (int i = 0; i < r->nhdr; i++) {
		int k = unique_header(r->hdrs.data + r->hdr[i].name);

		if (k < 0)
			continue;
		if (seen[k]++ > 0) {
			refuse(r, 400, "bad_request",
			       "a request may carry only one Host, "
			       "Authorization, Content-Type and "
			       "Transfer-Encoding header");
			return -1;
		}
		if (k == U_TE)
			te = r->hdrs.data + r->hdr[i].value;
	}
	return te ? check_te(r, te) : 0;
}

/* ---- the headers check and what follows it ---- */

/* The headers are accepted: count the body against the server-wide total
 * (a chunked one as it comes) and see whether the client waits for 100. */
static void headers_accepted(struct http_req *r)
{
	const http_parser *p = &r->parser;
	const char *expect;

	if (!r->scan.chunked && p->content_length != ULLONG_MAX &&
	    reserve(r, (size_t)p->content_length) != 0)
		return;
	expect = http_req_header(r, "expect");
	r->expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
}

/* The caller's own check (a token, say), before any body is held. Its
 * answer, or HTTP_HEADERS_LATER when it is still to come. */
static int run_check(struct http_req *r, const char **code,
		     const char **message)
{
	struct http__limits *l = r->lim;
	int status;

	if (l->headers_cb == NULL)
		return 0;
	r->check = HTTP__CHECK_RUNNING;
	status = l->headers_cb(r, l->headers_data, code, message);
	if (status == HTTP_HEADERS_LATER && r->check == HTTP__CHECK_ANSWERED) {
		/* Answered at once (a cached token): no pause, no copy. */
		status = r->check_status;
		*code = r->check_code;
		*message = r->check_msg;
	}
	r->check = status == HTTP_HEADERS_LATER ? HTTP__CHECK_WAITING
						: HTTP__CHECK_NONE;
	return status;
}

int http__headers_answer(struct http_req *r, int status, const char *code,
			 const char *message)
{
	if (r->check == HTTP__CHECK_RUNNING) {
		r->check = HTTP__CHECK_ANSWERED;
		r->check_status = status;
		r->check_code = code;
		r->check_msg = message;
		return 0;
	}
	if (r->check != HTTP__CHECK_WAITING)
		return 0;
	r->check = HTTP__CHECK_NONE;
	http_parser_pause(&r->parser, 0);
	if (status != 0)
		refuse(r, status, code, message);
	else
		headers_accepted(r);
	return 1;
}

static int on_headers_complete(http_parser *p)
{
	struct http_req *r = p->data;
	const char *code = NULL, *message = NULL;
	int status;

	/* Terminate the last name or value, and give empty headers a value. */
	if (hdr_append(r, "", 1) != 0)
		return -1;
	if (r->nhdr > 0 && !r->in_value)
		r->hdr[r->nhdr - 1].value = r->hdrs.len - 1;
	split_url(r);
	r->scan.chunked = (p->flags & F_CHUNKED) != 0;
	if (p->http_major != 1 || p->http_minor > 1)
		return refuse(r, 400, "bad_request",
			      "only HTTP/1.0 and HTTP/1.1 are spoken here");
	if (check_unique(r) != 0)
		return 0;
	if (!r->scan.chunked && p->content_length != ULLONG_MAX &&
	    p->content_length > r->lim->max_body)
		return refuse_too_big(r); /* before reading a byte of it */
	status = run_check(r, &code, &message);
	if (status == HTTP_HEADERS_LATER) {
		/* Read no further (the body is not held) until the answer. */
		http_parser_pause(p, 1);
		return 0;
	}
	if (status != 0)
		return refuse(r, status, code, message);
	headers_accepted(r);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_req *r = p->data;

	/* A chunked body's size is known only as it comes. */
	if (r->scan.chunked && reserve(r, len) != 0)
		return 1;
	if (fr_buf_append(&r->body, at, len) != 0) {
		refuse_too_big(r);
		return 1;
	}
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_req *r = p->data;

	r->complete = 1;
	/* One request at a time: stop here until it is answered. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- life of a request ---- */

void http__req_init(struct http_req *r, struct http__limits *lim,
		    size_t max_header, void *conn)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
	r->lim = lim;
	fr_buf_init(&r->url, max_header);
	fr_buf_init(&r->hdrs, max_header);
	fr_buf_init(&r->body, lim->max_body);
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
	r->path = r->query = "";
}

void http__req_next(struct http_req *r)
{
	fr_buf_reset(&r->url);
	fr_buf_reset(&r->hdrs);
	if (r->body.cap > KEEP_BODY_CAP) {
		size_t max = r->body.max;

		fr_buf_free(&r->body);
		fr_buf_init(&r->body, max);
	}
	fr_buf_reset(&r->body);
	release(r);
	r->nhdr = 0;
	r->in_value = 0;
	r->complete = 0;
	r->expect_continue = 0;
	r->failed = 0;
	r->check = HTTP__CHECK_NONE;
	r->note[0] = '\0';
	memset(&r->scan, 0, sizeof(r->scan));
	r->path = r->query = "";
	http_parser_pause(&r->parser, 0);
}

void http__req_free(struct http_req *r)
{
	release(r);
	fr_buf_free(&r->url);
	fr_buf_free(&r->hdrs);
	fr_buf_free(&r->body);
}

size_t http__feed(struct http_req *r, const char *data, size_t len)
{
	size_t n = http_parser_execute(&r->parser, &settings, data, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);

	if (r->failed)
		return n;
	if (e == HPE_HEADER_OVERFLOW) {
		refuse_headers(r);
	} else if (e != HPE_OK && e != HPE_PAUSED) {
		refuse(r, 400, "bad_request", http_errno_description(e));
	} else if (http__scan(&r->scan, data, n) != 0) {
		refuse(r, 400, "bad_request",
		       "malformed framing: lines must end in CRLF, header "
		       "names be followed by a colon at once, no folded "
		       "lines, chunk data be followed by CRLF");
	}
	return n;
}

/* ---- the strict framing check ---- */

enum {
	S_START,   /* before the request line; empty lines are skipped */
	S_START_CR,
	S_RL,      /* the request line */
	S_RL_CR,
	S_LINE,    /* the start of a header (or trailer) line */
	S_NAME,
	S_VALUE,
	S_VAL_CR,
	S_END_CR,  /* the empty line ending the headers (or trailers) */
	C_SIZE0,   /* the first digit of a chunk size */
	C_SIZE,
	C_EXT,
	C_SIZE_CR,
	C_DATA,
	C_DATA_CR,
	C_DATA_LF,
	S_TRAILER = 0x100, /* flag: the lines are trailers after chunks */
	S_DONE = 0x200
};

static int is_ctl(int ch) { return ch < 0x20 || ch == 0x7f; }

/* The request line and the lines of headers and trailers. */
static int scan_line(struct http__scan *s, int st, unsigned char ch)
{
	switch (st) {
	case S_START:
		return ch == '\r' ? S_START_CR : is_ctl(ch) || ch == ' ' ? -1 : S_RL;
	case S_START_CR:
		return ch == '\n' ? S_START : -1;
	case S_RL:
		if (ch == '\r')
			return s->spaces == 2 ? S_RL_CR : -1;
		s->spaces += ch == ' ';
		return is_ctl(ch) ? -1 : S_RL;
	case S_RL_CR:
		return ch == '\n' ? S_LINE : -1;
	case S_LINE:
		if (ch == '\r')
			return S_END_CR;
		/* A leading blank would be obs-fold. */
		return is_ctl(ch) || ch == ' ' || ch == ':' ? -1 : S_NAME;
	case S_NAME:
		if (ch == ':')
			return S_VALUE;
		return is_ctl(ch) || ch == ' ' ? -1 : S_NAME;
	case S_VALUE:
		return ch == '\r' ? S_VAL_CR : ch == '\n' ? -1 : S_VALUE;
	case S_VAL_CR:
		return ch == '\n' ? S_LINE : -1;
	default: /* S_END_CR */
		if (ch != '\n')
			return -1;
		return s->chunked ? C_SIZE0 : S_DONE;
	}
}

static int hex_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Chunk framing: size [; extension] CRLF data CRLF, ending in size 0. */
static int scan_chunk(struct http__scan *s, int st, unsigned char ch)
{
	int v = hex_value(ch);

	switch (st) {
	case C_SIZE0:
	case C_SIZE:
		if (v >= 0 && s->remaining < ((uint64_t)1 << 56)) {
			s->remaining = s->remaining * 16 + (uint64_t)v;
			return C_SIZE;
		}
		if (st == C_SIZE0)
			return -1;
		return ch == ';' ? C_EXT : ch == '\r' ? C_SIZE_CR : -1;
	case C_EXT:
		return ch == '\r' ? C_SIZE_CR : is_ctl(ch) && ch != '\t' ? -1 : C_EXT;
	case C_SIZE_CR:
		if (ch != '\n')
			return -1;
		return s->remaining ? C_DATA : S_LINE | S_TRAILER;
	case C_DATA_CR:
		return ch == '\r' ? C_DATA_LF : -1;
	default: /* C_DATA_LF */
		return ch == '\n' ? C_SIZE0 : -1;
	}
}

int http__scan(struct http__scan *s, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end && s->state != S_DONE) {
		int st = s->state & 0xff, trailer = s->state & S_TRAILER, next;

		if (st == C_DATA) {
			/* Data is not looked at, only skipped. */
			size_t take = (size_t)(end - p) < s->remaining
					      ? (size_t)(end - p)
					      : (size_t)s->remaining;

			p += take;
			s->remaining -= take;
			if (s->remaining == 0)
				s->state = C_DATA_CR;
			continue;
		}
		next = st < C_SIZE0 ? scan_line(s, st, (unsigned char)*p)
				    : scan_chunk(s, st, (unsigned char)*p);
		if (next < 0)
			return -1;
		/* After the trailers the message is over, chunked or not. */
		if (trailer && next == C_SIZE0)
			next = S_DONE;
		s->state = next == S_DONE ? S_DONE : next | trailer;
		p++;
	}
	return 0;
}
