/*
 * What http_server.c (connections, libuv) and http_parse.c (one request's
 * bytes, pure) share. http_parse.c needs neither libuv nor libpq, so the
 * request path can be fuzzed on its own (tests/fuzz/fuzz_http.c).
 *
 * Threads: whichever thread owns the request; in the server the loop.
 */
#ifndef FREMDRIFT_HTTP_INTERNAL_H
#define FREMDRIFT_HTTP_INTERNAL_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>

#include "fremdrift/buf.h"
#include "fremdrift/http_server.h"

#define HTTP__MAX_HEADERS 64

struct http_req;

/*
 * Limits one server's requests share, and the body bytes they hold
 * together. headers_cb (may be NULL) sees each request when its headers
 * are complete and may refuse it before its body is read: it returns 0, or
 * an HTTP status with *code and *message (static strings) set.
 */
struct http__limits {
	size_t max_body;
	size_t max_bodies_total;
	size_t bodies_held; /* body bytes reserved by all requests */
	int (*headers_cb)(struct http_req *r, void *data, const char **code,
			  const char **message);
	void *headers_data;
};

struct http__hdr {
	size_t name, value; /* offsets into req.hdrs */
};

/*
 * The strict framing check over the raw bytes (http-parser 2.9 as Debian
 * builds it lets through what a proxy may read differently).
 */
struct http__scan {
	int state;
	int spaces;          /* in the request line */
	int chunked;         /* the body is chunked (set at headers complete) */
	uint64_t remaining;  /* of the current chunk's data */
};

/* Where a request's headers check (http__limits.headers_cb) stands. */
enum {
	HTTP__CHECK_NONE,     /* not begun, or over */
	HTTP__CHECK_RUNNING,  /* inside headers_cb */
	HTTP__CHECK_ANSWERED, /* answered inside headers_cb */
	HTTP__CHECK_WAITING   /* parser paused until http__headers_answer */
};

struct http_req {
	void *conn; /* the owning connection (http_server.c); borrowed */
	struct http__limits *lim; /* borrowed, outlives the request */
	http_parser parser;
	struct fr_buf url;
	struct fr_buf hdrs; /* "name\0value\0..." */
	struct http__hdr hdr[HTTP__MAX_HEADERS];
	int nhdr;
	int in_value;    /* the last header callback was a value */
	struct fr_buf body;
	size_t held;     /* bytes counted in lim->bodies_held */
	int complete;    /* the whole request has arrived */
	int expect_continue; /* the client waits for 100 Continue */
	int failed;      /* the status to refuse with, or 0 */
	const char *fail_code, *fail_msg;
	char fail_buf[96];
	struct http__scan scan;
	const char *path, *query;
	int check;       /* HTTP__CHECK_... */
	int check_status; /* an answer given inside headers_cb */
	const char *check_code, *check_msg;
	char note[HTTP_REQ_NOTE_MAX]; /* http_req_set_note */
};

/* Sets up r; max_header caps the URL and the headers. */
void http__req_init(struct http_req *r, struct http__limits *lim,
		    size_t max_header, void *conn);
/* Before the next request on the same connection (answers it first). */
void http__req_next(struct http_req *r);
void http__req_free(struct http_req *r);

/*
 * Parses len bytes of r's connection and returns how many were taken; the
 * rest belong to a later request. Afterwards r->failed says whether to
 * refuse (400, 413, 431, 501, 503 or the headers callback's status; while
 * r->check is HTTP__CHECK_WAITING too, the strict check having failed
 * after the headers went to be checked, only once the check's answer is
 * in, as the check still holds r), else
 * r->check == HTTP__CHECK_WAITING whether the parser stopped after the
 * headers until http__headers_answer (the rest is the body and later
 * requests), else r->complete whether the request is whole. Stops after
 * one request.
 */
size_t http__feed(struct http_req *r, const char *data, size_t len);

/*
 * The answer to a headers check put off with HTTP_HEADERS_LATER (see
 * http_req_headers_done). Returns 0 when it came inside the check itself,
 * which http__feed then acts on, or when r was not waiting for one (a
 * second answer is ignored). Returns 1 when r was waiting: r->failed then
 * says whether to refuse it (for this answer or for malformed framing
 * found meanwhile), else its body is counted and the rest of its bytes may
 * be fed.
 */
int http__headers_answer(struct http_req *r, int status, const char *code,
			 const char *message);

/*
 * Scans bytes of one request for framing http-parser tolerates: line ends
 * other than CRLF, folded header lines, white space in or after a header
 * name, a request line that is not exactly "METHOD SP target SP version",
 * and chunk framing other than size CRLF data CRLF. 0 or -1.
 */
int http__scan(struct http__scan *s, const char *p, size_t len);

#endif
