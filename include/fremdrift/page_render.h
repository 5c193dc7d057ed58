/*
 * The citizen's and the consultant's pages as HTML (docs/links.md, "Pages"
 * and its HTML contract): pure rendering from a questionnaire definition,
 * a draft of answers and a language, with no libuv or libpq, so every page
 * can be unit-tested. server/pages.c routes the requests, asks the links
 * module for the draft and sends what is rendered here.
 *
 * Every string that did not come from this file is HTML-escaped on its
 * way into a page (pr_escape). All text is written in Danish and English;
 * the instruments carry both.
 *
 * Threads: any. The definitions (struct pr_instr) are built once and then
 * only read. Output goes into a caller's struct fr_buf; a full buffer
 * gives FR_ETOOBIG (the caller answers 500).
 */
#ifndef FREMDRIFT_PAGE_RENDER_H
#define FREMDRIFT_PAGE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fremdrift/buf.h"
#include "fremdrift/err.h"
#include "fremdrift/instrument.h"

enum pr_lang { PR_DA, PR_EN };

/* The words of a scale of five, in each language. */
struct pr_words {
	const char *w[2][5];
};

struct pr_item {
	const char *id;
	int dim;                 /* index into dims */
	const char *text[2];
	const struct pr_words *labels; /* the item's own, or the scale's */
	const char *subgoal;     /* the sub-goal it rates, or NULL */
};

struct pr_dim {
	const char *id;
	const char *name[2];
	double prior_alpha;
	int first_item, nitems;  /* items of a dimension are consecutive */
};

struct pr_subgoal {
	const char *id;
	int dim;
	double threshold;        /* reached at or above this score */
};

/* One questionnaire definition with its texts; strings are borrowed from
 * the parsed JSON document it keeps. */
struct pr_instr {
	const char *name;
	int version;
	char respondent;         /* 'c' citizen, 'k' consultant */
	const char *title[2], *intro[2];
	struct pr_words scale;
	int ndims, nitems, nsubgoals;
	struct pr_dim dims[INSTR_MAX_DIMS];
	struct pr_item items[INSTR_MAX_ITEMS];
	struct pr_words item_labels[INSTR_MAX_ITEMS];
	struct pr_subgoal subgoals[INSTR_MAX_SUBGOALS];
	void *doc;               /* the json_t the strings live in */
};

/*
 * Parses a compiled-in definition (instruments/NAME-vN.json). Items of one
 * dimension must be consecutive, as they are in the instruments, since a
 * consultant's screen shows one dimension. FR_EPARSE with err saying why.
 * pr_instr_free releases the document.
 */
int pr_instr_parse(const char *json, size_t len, struct pr_instr *out,
		   struct fr_err *err);
void pr_instr_free(struct pr_instr *ins);

/* The catalogue of sub-goals a consultant may choose from
 * (fremdrift.subgoals), names in both languages; strings borrowed. */
#define PR_MAX_GOALS 40
struct pr_goalcat {
	int n;
	const char *code[PR_MAX_GOALS];
	const char *name[PR_MAX_GOALS][2];
};

/* What has been answered so far (the invitation's draft). answers[i] is
 * INSTR_NULL when item i is unanswered, 0 when skipped, else 1..5. */
struct pr_draft {
	int16_t answers[INSTR_MAX_ITEMS];
	int job_chance;          /* 0: not given */
	int ngoals;
	struct {
		char code[INSTR_ID_MAX];
		int weight;      /* 1..3 */
		int level;       /* -2..2, or PR_NO_LEVEL */
	} goals[PR_MAX_GOALS];
};
#define PR_NO_LEVEL (-99)

/* An empty draft. */
void pr_draft_init(struct pr_draft *d);
/*
 * Reads a draft ({"answers": {...}, "job_chance": n, "goals": {code:
 * {"weight": w, "level": l}}}; borrowed) into d for ins; what does not
 * fit the definition is left out, and anything but an object is an empty
 * draft.
 */
void pr_draft_read(const struct pr_instr *ins, const json_t *draft,
		   struct pr_draft *d);
/* The goal entry of code in d, or -1. */
int pr_draft_goal(const struct pr_draft *d, const char *code);

/*
 * A page's setting: who reads it, in which language, and what every link
 * and form of it needs. All strings borrowed.
 */
struct pr_ctx {
	enum pr_lang lang;
	const struct pr_instr *ins;
	const struct pr_draft *draft;
	const struct pr_goalcat *goals; /* consultant screens; may be NULL */
	const char *base;        /* "/l/<token>" */
	const char *csrf;        /* the form's csrf field */
	const char *css;         /* "/static/app.css?v=..." */
	const char *js;          /* "/static/app.js?v=..." */
};

/* Appends s HTML-escaped (& < > " '). 0 or FR_ETOOBIG. */
int pr_escape(struct fr_buf *b, const char *s);

/* The language a request's Accept-Language header prefers: English only
 * when it ranks English above Danish (h may be NULL: Danish). */
enum pr_lang pr_lang_pick(const char *accept_language);

/*
 * Screens of a questionnaire: one item per screen for a citizen; one
 * dimension per screen and then Goal Attainment Scaling for a consultant.
 */
int pr_screens(const struct pr_instr *ins);
/* The first screen (1-based) with an unanswered item, or 0 when none. */
int pr_first_open(const struct pr_instr *ins, const struct pr_draft *d);
/* 1 when nothing is in the draft yet. */
int pr_draft_empty(const struct pr_draft *d);
/* Items shown on screen n: *first and *count (count 0: the goals screen). */
void pr_screen_items(const struct pr_instr *ins, int n, int *first,
		     int *count);

/* The pages. Each appends one whole HTML document. */
int pr_welcome(struct fr_buf *b, const struct pr_ctx *c);
int pr_screen(struct fr_buf *b, const struct pr_ctx *c, int n);
int pr_review(struct fr_buf *b, const struct pr_ctx *c);

enum pr_msg {
	PR_MSG_ROOT,      /* GET /: use the link you were given */
	PR_MSG_USED,      /* already answered; link to the progress page */
	PR_MSG_GONE,      /* expired, revoked or unknown */
	PR_MSG_SLOW_DOWN, /* rate-limited (429) */
	PR_MSG_FORBIDDEN, /* a POST refused (403) */
	PR_MSG_NOT_FOUND, /* no such page under a good link */
	PR_MSG_ERROR,     /* the server could not do it now */
	PR_MSG_COUNT
};
/* A short page saying one thing kindly; base (may be NULL) is the link's
 * "/l/<token>" for the links it offers. */
int pr_message(struct fr_buf *b, enum pr_lang lang, enum pr_msg m,
	       const char *base, const char *css, const char *js);

/* One round of a respondent's answers: a date and the dimension scores in
 * the instrument's dimension order. */
struct pr_round {
	char date[11];           /* YYYY-MM-DD */
	double score[INSTR_MAX_DIMS];
	unsigned char present[INSTR_MAX_DIMS];
};

/* Rounds of one instrument with the reliability of each dimension. */
struct pr_history {
	const struct pr_instr *ins;
	int nrounds;
	struct pr_round *rounds; /* oldest first; borrowed */
	double alpha[INSTR_MAX_DIMS];       /* reliability */
	double sd[INSTR_MAX_DIMS];          /* baseline SD; <= 0 unknown */
};

enum pr_change { PR_UNCHANGED, PR_IMPROVED, PR_WORSE, PR_FIRST };
/*
 * The Reliable Change Index as fremdrift.rci computes it (Jacobson &
 * Truax): change / (sd * sqrt(2) * sqrt(1 - alpha)); reliable at
 * |RCI| >= 1.96. Unknown spread or alpha >= 1 is no reliable change.
 */
enum pr_change pr_reliable_change(double change, double sd, double alpha);
/* The change of dimension d from its first to its latest round. */
enum pr_change pr_dim_change(const struct pr_history *h, int d);

/*
 * "Din udvikling": the citizen's history (and for a consultant link,
 * after it, the consultant's own rounds in `own`, may be NULL); goals
 * names the sub-goals (may be NULL: codes are shown).
 */
int pr_progress(struct fr_buf *b, const struct pr_ctx *c,
		const struct pr_history *citizen,
		const struct pr_history *own);

/* Reads field name of an application/x-www-form-urlencoded body into
 * out (decoded, NUL-terminated). 1 found, 0 not there, -1 too long. */
int pr_form_get(const char *body, size_t len, const char *name, char *out,
		size_t outsize);

#endif
