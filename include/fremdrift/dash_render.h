/*
 * The leadership page as HTML, SVG and CSV (docs/dashboard.md, "The
 * page"): pure rendering from the answer of fremdrift.dash_page(), with no
 * libuv or libpq, so every state of the page can be unit-tested.
 * server/dash_page.c signs leaders in and out, asks the database and sends
 * what is rendered here.
 *
 * The model holds only published figures (perturbed and suppressed by the
 * release, docs/dashboard.md); nothing here computes a new figure from
 * them but the differences the headline row names in words.
 *
 * Threads: any. Output goes into a caller's struct fr_buf; a full buffer
 * gives FR_ETOOBIG.
 */
#ifndef FREMDRIFT_DASH_RENDER_H
#define FREMDRIFT_DASH_RENDER_H

#include <stddef.h>

#include "fremdrift/buf.h"
#include "fremdrift/err.h"

/* The published periods offered in the filter (years of quarters). */
#define DR_MAX_PERIODS 256
/* Periods of a trend: the chosen one and up to seven before it. */
#define DR_TREND 8
/* Categories of one view (statuses, dimensions, sub-goals, ...). */
#define DR_MAX_KEYS 64
/* Departments or target groups in a catalogue. */
#define DR_MAX_CODES 128

enum dr_view {
	DV_OVERVIEW,
	DV_PROGRESSION,
	DV_SUBGOALS,
	DV_COMPANY,
	DV_MIX,
	DV_PAID_HOURS,
	DV_BELIEF,
	DV_EXITS,
	DV_FOLLOWUPS,
	DV_N
};

/* One published row's figures; NAN where the release shows none (fewer
 * than min_cell, or a share with too few on one side). */
struct dr_fig {
	double n, s1, s2, m, e, se, md;
};

struct dr_label {
	const char *code, *name;
};

struct dr_viewdata {
	int nkeys;
	const char *keys[DR_MAX_KEYS];
	struct dr_fig fig[DR_TREND][DR_MAX_KEYS];
	unsigned char has[DR_TREND][DR_MAX_KEYS];
};

/*
 * What foretells a good exit (issue 18, docs/validity.md): the summary
 * `measure validity` published, the whole provider's whatever the
 * filters. One row per questionnaire (or rating) predictor and score,
 * each a C-statistic from at least min_n courses and its word.
 */
#define DR_MAX_VALIDITY 96

struct dr_validity_row {
	const char *instrument, *predictor, *score; /* start latest change */
	const char *respondent; /* citizen, consultant; NULL for the rating */
	const char *strength;   /* strong moderate weak none opposite */
	double n, c;
};

struct dr_validity {
	const char *data_until, *test_cohorts; /* NULL before the first run */
	int min_n, nrows;
	struct dr_validity_row rows[DR_MAX_VALIDITY];
};

/* The protection in place (dashboard.protection). */
struct dr_protection {
	int min_cell, noise_max;
	double noise_sd;
	const char *as_of;
};

/* Every string is borrowed from the parsed document (doc). */
struct dr_model {
	void *doc; /* json_t */
	const char *period, *kind, *previous;
	const char *department, *target_group; /* NULL: all */
	int nperiods;
	const char *periods[DR_MAX_PERIODS];
	int ndeps, ntgs;
	struct dr_label deps[DR_MAX_CODES], tgs[DR_MAX_CODES];
	void *labels; /* json_t {"dimension":{...},"subgoal":...,"status":...} */
	void *towards_work; /* json_t array of status codes */
	struct dr_protection prot;
	int ntrend;
	const char *trend[DR_TREND]; /* oldest first; the last is period */
	struct dr_viewdata v[DV_N];
	struct dr_validity validity;
	/* Rows left out because a view had more than DR_MAX_KEYS categories
	 * (the page says so; the server logs it). */
	int dropped;
};

/* Parses the body of a 200 from fremdrift.dash_page(). FR_EPARSE with err
 * saying why; dr_model_free releases it (also after a failure). */
int dr_model_parse(const char *json, size_t len, struct dr_model *m,
		   struct fr_err *err);
void dr_model_free(struct dr_model *m);

/* What every page of the dashboard needs; strings borrowed. */
struct dr_ctx {
	/* "/static/app.css?v=...", dash.css's and app.js's */
	const char *css, *dcss, *js;
	/* Signed in by the provider's single sign-on: "Log ud" goes to
	 * sso_logout (none when NULL) instead of ending a session here. */
	int sso;
	const char *sso_logout;
	/* 0: the reader is not signed in (an error page): no "Log ud" */
	int signed_in;
};

enum dr_signin_msg {
	DR_SIGNIN,          /* the form */
	DR_SIGNIN_UNKNOWN,  /* 401: no such token */
	DR_SIGNIN_ROLE,     /* 403: a token of another role */
	DR_SIGNIN_EXPIRED,  /* the session ran out; sign in again */
	DR_SIGNED_OUT,      /* after sign-out */
	DR_SIGNIN_N
};

/* The sign-in page; next is the query to come back to ("period=..."),
 * may be empty. */
int dr_signin(struct fr_buf *b, const struct dr_ctx *c, enum dr_signin_msg m,
	      const char *next);

/* A page saying the figures cannot be shown, and why (a bad filter, no
 * release yet, the database away), with a way back. */
int dr_problem(struct fr_buf *b, const struct dr_ctx *c, const char *title,
	       const char *text);

/* The dashboard itself. */
int dr_page(struct fr_buf *b, const struct dr_ctx *c,
	    const struct dr_model *m);

/* What the page shows as CSV for Danish Excel: UTF-8 with a byte-order
 * mark, ';' between fields, decimal comma, CRLF. One row per figure. */
int dr_csv(struct fr_buf *b, const struct dr_model *m);

/* The suggested file name of the CSV (no directory, ASCII). */
void dr_csv_name(const struct dr_model *m, char *out, size_t size);

/*
 * A number the Danish way into out: thousands with '.', decimals (dec of
 * them) with ','. "–" for NAN.
 */
void dr_num(double v, int dec, char *out, size_t size);

/* The period as Danish words: "3. kvartal 2025", or "2025". */
void dr_period_words(const char *period, char *out, size_t size);

/*
 * The section "Hvad peger på et godt udfald?" (server/dash_validity.c):
 * the summary as a table of words; and its rows for the CSV, in dr_csv's
 * columns.
 */
int dr_validity_section(struct fr_buf *b, const struct dr_model *m);
int dr_validity_csv(struct fr_buf *b, const struct dr_model *m);

/*
 * The headline row: up to n of the changes since the previous period that
 * are larger than the protection could make, biggest first, each as a
 * Danish sentence into out[i] (size bytes each). Returns how many.
 */
int dr_headlines(const struct dr_model *m, char (*out)[256], int n);

#endif
