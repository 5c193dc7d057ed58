/*
 * The citizen's and the consultant's pages, served by `fremdrift serve`
 * itself (docs/links.md, "Pages"): GET / (use the link you were given),
 * /static/app.css and /static/app.js (compiled in, cached for a year under
 * their content hash), and everything under /l/<token>: the welcome, one
 * screen at a time, the saving of answers, the last look, the sending and
 * "Din udvikling". The HTML comes from page_render.h; the link, its draft
 * and the sending from links.h.
 *
 * A token is never logged: log lines name the path as "/l/…".
 *
 * Threads: loop thread only.
 */
#ifndef FREMDRIFT_PAGES_H
#define FREMDRIFT_PAGES_H

#include "fremdrift/err.h"
#include "fremdrift/http_server.h"
#include "fremdrift/links.h"
#include "fremdrift/pg_conn.h"

struct pages;

/*
 * Makes the pages object: parses the compiled-in questionnaires' texts.
 * links and pg (its own queries: the progress page, the sub-goal names)
 * are borrowed and must outlive it. NULL with err set when a definition
 * does not parse.
 */
struct pages *pages_new(struct links *links, struct pgc *pg,
			struct fr_err *err);

/* Frees it; no request may still be waiting on it. NULL is fine. */
void pages_free(struct pages *p);

/* The href of a file of web/ as served ("/static/app.css?v=<hash>"), ""
 * when there is none; the leadership page links them too. */
const char *pages_href(const struct pages *p, const char *name);

/* 1 if path belongs to the pages: "/", "/static/..." or "/l/...". */
int pages_owns(const char *path);

/* Answers one request whose path pages_owns. */
void pages_handle(struct pages *p, struct http_req *req);

#endif
