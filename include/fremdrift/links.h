/*
 * Links (docs/links.md): the invitations API for the provider's case
 * system, and the link state the pages (server/pages*.c) are built on.
 *
 * - links_handle_api answers POST /api/v1/invitations,
 *   POST /api/v1/invitations/revoke and GET /api/v1/invitations/due
 *   (Bearer token of role ingest).
 * - links_open finds the link of a token; links_save keeps answers in its
 *   draft as they are given; links_submit stores the draft as a response
 *   (and a consultant's events) through the records pipeline
 *   (rapi_store), exactly once per round, answering after commit.
 *
 * A token is a secret: it is never logged, never put into an error
 * message and never into SQL text (the database sees only its hash, as a
 * parameter).
 *
 * Threads: loop thread only, callbacks included.
 */
#ifndef FREMDRIFT_LINKS_H
#define FREMDRIFT_LINKS_H

#include <jansson.h>
#include <uv.h>

#include "fremdrift/env.h"
#include "fremdrift/http_server.h"
#include "fremdrift/instrument.h"
#include "fremdrift/link_token.h"
#include "fremdrift/pg_conn.h"
#include "fremdrift/pseudonym.h"

struct links;
struct records_api;
struct auth;

/* Wrong tokens: more than LINKS_MISS_MAX misses within LINKS_MISS_WINDOW_MS
 * from one client address make its lookups LINK_LIMITED (429) until the
 * window has passed; each miss is answered after LINKS_MISS_DELAY_MS. */
#define LINKS_MISS_MAX 20
#define LINKS_MISS_WINDOW_MS (10u * 60u * 1000u)
#define LINKS_MISS_DELAY_MS 1000u

enum link_state {
	LINK_OPEN,     /* may be answered: links_save, links_submit */
	LINK_ANSWERED, /* the round's response is stored (progress page) */
	LINK_EXPIRED,  /* unanswered past expires_at */
	LINK_REVOKED,  /* revoked (POST /api/v1/invitations/revoke) */
	LINK_UNKNOWN,  /* no such link (a wrong token, or one replaced) */
	LINK_LIMITED,  /* too many wrong tokens from this address: 429 */
	LINK_ERROR     /* the database is unreachable: 503 */
};

/*
 * A link as links_open found it. Only state is set for LINK_UNKNOWN,
 * LINK_LIMITED and LINK_ERROR; everything for the others. Owned by
 * whoever links_open called back; free with links_free.
 */
struct link {
	enum link_state state;
	long long id;                     /* fremdrift.invitations.id */
	char token[LINK_TOKEN_LEN + 1];   /* a secret: never log it */
	char csrf[LINK_CSRF_LEN + 1];     /* the form value POSTs must carry */
	const struct instrument *instr;   /* borrowed from the catalogue */
	char respondent;                  /* 'c' citizen, 'k' consultant */
	int round;                        /* 1-based */
	char course[PSEUD_HEX_LEN + 1];   /* the course's pseudonym, hex */
	char expires_at[40];              /* RFC 3339, UTC */
	char answered_at[40];             /* RFC 3339, UTC; "" if not */
	/* What has been answered so far (owned by the link; read it, change
	 * it only through links_save): {"answers": {"b01": 3, ...},
	 * "job_chance": 4, "goals": {"belief": {"weight": 2, "level": 1}}};
	 * an answer 0 is "spring over". Never NULL for a found link. */
	json_t *draft;
	/* The citizen the response is stored under (from the invitation). */
	unsigned char pseudonym[PSEUD_LEN];
	int key_no, birth_year;
	char sex;
};

/*
 * Makes the links object. loop, pg, env, api and auth are borrowed and
 * must outlive it; public_url (copied) is where links point, without a
 * trailing '/' ("https://fremdrift.example.dk"). NULL on a bad URL.
 */
struct links *links_new(uv_loop_t *loop, struct pgc *pg, struct ing_env *env,
			struct records_api *api, struct auth *auth,
			const char *public_url);

/* Stops its timers and frees it once they are closed; lookups still
 * waiting are answered LINK_ERROR first. */
void links_close(struct links *links);

/* The public URL links point to (no trailing '/'). */
const char *links_public_url(const struct links *links);

/*
 * Answers one request whose path starts with /api/v1/invitations:
 * POST /api/v1/invitations, POST /api/v1/invitations/revoke,
 * GET /api/v1/invitations/due[?format=csv]. 401 without a token, 403 for
 * a token whose role is not ingest, 400 naming the field (never echoing a
 * value), 404 otherwise.
 */
void links_handle_api(struct links *links, struct http_req *req);

typedef void (*links_open_cb)(struct link *lk, void *data);

/*
 * Looks token (borrowed for the call; any text: a wrong shape is simply
 * unknown) up by its hash and calls cb exactly once with a new struct
 * link (never NULL), which the callee owns. A token that finds nothing is
 * answered LINK_UNKNOWN after LINKS_MISS_DELAY_MS (a timer: the loop is
 * not held) and counted against the client address of req (borrowed; it
 * must stay valid until cb; NULL counts as one client of its own); too many
 * misses give LINK_LIMITED. cb may be
 * called before links_open returns (LINK_LIMITED, LINK_ERROR).
 */
void links_open(struct links *links, struct http_req *req, const char *token,
		links_open_cb cb, void *data);

/*
 * 1 if a POST for lk may go on: csrf (the form field, may be NULL) is
 * lk->csrf, Sec-Fetch-Site is absent, same-origin or none, and Origin,
 * when present, is the public URL's origin or http(s)://<Host>. 0
 * otherwise (answer 403). lk must be a found link.
 */
int links_csrf_ok(const struct links *links, const struct link *lk,
		  struct http_req *req, const char *csrf);

/*
 * rc 0: done. FR_EINVAL: refused, why says which field and why (never
 * the value). FR_ESTATE: the link is no longer open (answered, expired,
 * revoked meanwhile). FR_EDB: the database failed. why is borrowed for
 * the call.
 */
typedef void (*links_done_cb)(int rc, const char *why, void *data);

/*
 * Merges patch (borrowed; {"answers": {...}, "job_chance": n, "goals":
 * {...}}, any of the three) into lk's draft in the database and, when
 * that is done, into lk->draft, then calls cb. Checked first: item ids of
 * lk's instrument with values 0..5 within the item's scale (0 = spring
 * over), job_chance 1..5 and goals (consultant links only) sub-goal codes
 * of the catalogue with weight 1..3 and level -2..2 (either may be left
 * out, or null to take it back). Returns 0, or FR_EINVAL / FR_ESTATE /
 * FR_EDB without calling cb (why, when not NULL, gets a static reason).
 * lk is borrowed and must stay valid until cb.
 */
int links_save(struct links *links, struct link *lk, json_t *patch,
	       links_done_cb cb, void *data, const char **why);

/*
 * Stores lk's draft as the round's response through the records pipeline
 * (rapi_store, source "link"): record id = the pseudonym of
 * "link/<course hex>/<instrument>/<c|k>/<round>", answered_at now,
 * skipped and unanswered items stored as not answered. A consultant's
 * draft also gives a job_chance_rated event (k01's answer, else
 * job_chance) and goal_set / goal_rated events for each goal. Then sets
 * the invitation's answered_at and calls cb with 0 (lk->state becomes
 * LINK_ANSWERED). A second submit of the same round stores nothing new
 * and also calls back 0. Returns 0, or FR_ESTATE (lk expired or revoked)
 * / FR_EDB without calling cb. lk is borrowed until cb.
 */
int links_submit(struct links *links, struct link *lk, links_done_cb cb,
		 void *data);

/* Frees a link from links_open (its draft too). NULL is fine. */
void links_free(struct link *lk);

/* ---- shared by the HTTP API and `fremdrift invite` (links_rows.c) ---- */

#define LINKS_URL_MAX 512
#define LINKS_TEXT_MAX (256u << 20) /* the due list as JSON or CSV */

/* "citizen" for 'c', "consultant" for 'k'. */
const char *links_respondent_word(char respondent);

/* A fresh nonce and the hash of its token, both as hex, for
 * link_sql_get. 0 or FR_ECRYPTO. */
int links_fresh(struct pseud_ctx *pseud, char nonce_hex[2 * LINK_NONCE_LEN + 1],
		char hash_hex[2 * LINK_HASH_LEN + 1]);

/* The link URL of the token of nonce_hex. 0, FR_EINVAL or FR_ETOOBIG. */
int links_url_of(struct pseud_ctx *pseud, const char *public_url,
		 const char *nonce_hex, char url[LINKS_URL_MAX]);

/* Row row of a link_sql_get result whose status has a link, as the API's
 * answer {"url", "course", "instrument", "respondent", "round",
 * "expires_at"} (new reference), or NULL. */
json_t *links_get_json(PGresult *res, int row, struct pseud_ctx *pseud,
		       const char *public_url);

/*
 * For the rows of a link_sql_due result that need a new link, makes the
 * five array parameters of link_sql_issue (params[0..4], malloc'd text,
 * the caller frees them). Returns how many rows need one (the arrays are
 * made even when 0), or FR_ECRYPTO (nothing to free).
 */
int links_due_need(PGresult *due, struct pseud_ctx *pseud, char *params[5]);

/* The due list (a new JSON array of {"course", "instrument",
 * "respondent", "round", "opens_on", "state", "url", "expires_at"}) from
 * link_sql_due's rows and link_sql_issue's (issued may be NULL when none
 * was needed). */
json_t *links_due_json(PGresult *due, PGresult *issued,
		       struct pseud_ctx *pseud, const char *public_url);

/* rows as CSV with a header line (malloc'd; the caller frees). */
char *links_due_csv(const json_t *rows);

/* ---- `fremdrift invite` (links_invite.c) ---- */

struct fr_config;

enum links_invite_action { INVITE_LINK, INVITE_DUE, INVITE_REVOKE };

struct links_invite_opts {
	enum links_invite_action action;
	const char *course;     /* INVITE_LINK: the course key as given */
	char respondent;        /* INVITE_LINK: 'c' or 'k' */
	const char *instrument; /* INVITE_LINK: NULL for the default */
	const char *link;       /* INVITE_REVOKE: a URL or a token */
	const char *key_file;   /* NULL: cfg->key_file */
};

/*
 * Runs `fremdrift invite` over a blocking connection, with the same SQL
 * as the HTTP API: prints the link (INVITE_LINK), the due list as CSV
 * (INVITE_DUE) or revokes a link (INVITE_REVOKE). Returns the exit code;
 * errors on stderr, never with a token in them. Main thread.
 */
int links_invite_run(const struct fr_config *cfg,
		     const struct links_invite_opts *o);

#endif
