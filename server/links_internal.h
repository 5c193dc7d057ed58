/*
 * What server/links.c (link state) and server/links_api.c (the
 * invitations API) share.
 */
#ifndef FREMDRIFT_LINKS_INTERNAL_H
#define FREMDRIFT_LINKS_INTERNAL_H

#include "fremdrift/links.h"
#include "fremdrift/record.h"

#include <stdint.h>

/* Client addresses whose wrong tokens are counted; when all are in use,
 * the one whose window started first gives way. */
#define LINKS__MISS_SLOTS 1024

struct links__miss {
	unsigned char addr[16];
	uint64_t since; /* uv_now of the window's first miss; 0: free */
	int n;          /* misses in the window */
};

struct links {
	uv_loop_t *loop;
	struct pgc *pg;
	struct ing_env *env;
	struct records_api *api;
	struct auth *auth;
	struct pseud_ctx *pseud;
	char *public_url;
	char origin[LINKS_URL_MAX]; /* scheme://host[:port] of public_url */
	struct links__miss misses[LINKS__MISS_SLOTS];
	int timers;  /* delayed answers to wrong tokens still running */
	int closing; /* links_close called: freed with the last timer */
};

#define LINKS__DB_TIMEOUT_MS 10000

/* A save or a submit under way. */
struct links__op {
	struct links *links;
	struct link *lk;
	links_done_cb cb;
	void *data;
	struct record *recs;
	int nrecs;
};

#endif
