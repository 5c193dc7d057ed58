/* libFuzzer target: the bytes of one connection through the request
 * parser (server/http_parse.c: http-parser, the limits and the strict
 * framing check), fed whole and fed one byte at a time. Both must agree,
 * as a connection's reads can split anywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fremdrift/http_server.h"
#include "../../server/http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 8

struct outcome {
	int n;                     /* requests parsed */
	int failed;                /* the status refusing the last, or 0 */
	size_t body[MAX_REQUESTS]; /* body lengths of the complete ones */
};

static int refuse_odd(struct http_req *r, void *data, const char **code,
		      const char **message)
{
	const char *path = http_req_path(r);

	(void)data;
	/* Exercises the refusal on headers, as the records API does. */
	if (strcmp(path, "/refuse") == 0) {
		*code = "unauthorized";
		*message = "no";
		return 401;
	}
	/* An answer inside the check (a cached token), either way. */
	if (strncmp(path, "/now", 4) == 0) {
		http__headers_answer(r, path[4] == 'x' ? 403 : 0, "forbidden",
				     "no");
		return HTTP_HEADERS_LATER;
	}
	/* An answer later (a token looked up): see answer_later. */
	if (strncmp(path, "/later", 6) == 0)
		return HTTP_HEADERS_LATER;
	return 0;
}

/* The answer to a check put off by refuse_odd: "/laterx" is refused. */
static void answer_later(struct http_req *r)
{
	int refused = http_req_path(r)[6] == 'x';

	if (http__headers_answer(r, refused ? 401 : 0, "unauthorized", "no") != 1)
		abort();
	/* It may have failed already: framing that the strict check found
	 * malformed after the headers went to be checked. */
	if (refused && r->failed == 0)
		abort();
}

/* Feeds data in pieces of step bytes (0: all at once). */
static void run(const char *data, size_t size, size_t step,
		struct outcome *o)
{
	struct http__limits lim = {.max_body = 4096,
				   .max_bodies_total = 6000,
				   .headers_cb = refuse_odd};
	struct http_req r;
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	http__req_init(&r, &lim, 2048, NULL);
	while (off < size && o->n < MAX_REQUESTS) {
		size_t len = step && size - off > step ? step : size - off;
		size_t n = http__feed(&r, data + off, len);

		if (lim.bodies_held > lim.max_bodies_total || n > len)
			abort();
		off += n;
		if (r.check == HTTP__CHECK_WAITING) {
			/* Stopped after the headers: answer, then feed on. */
			answer_later(&r);
			if (!r.failed)
				continue;
		}
		if (r.failed) {
			o->failed = r.failed;
			break;
		}
		if (r.complete) {
			if (r.body.len > lim.max_body || r.path == NULL)
				abort();
			o->body[o->n++] = r.body.len;
			http__req_next(&r);
		} else if (n < len) {
			abort(); /* stopped without a reason */
		}
	}
	http__req_free(&r);
	if (lim.bodies_held != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, bytes;

	http_parser_set_max_header_size(2048);
	run((const char *)data, size, 0, &whole);
	run((const char *)data, size, 1, &bytes);
	if (whole.n != bytes.n || (whole.failed != 0) != (bytes.failed != 0) ||
	    memcmp(whole.body, bytes.body, sizeof(whole.body)) != 0)
		abort();
	return 0;
}
