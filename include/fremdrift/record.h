/*
 * Ingest records (docs/formats.md): parsing, validation and pseudonymisation.
 *
 * NDJSON lines, JSON array elements and CSV rows all become a list of
 * (name, value) fields and go through rec_build, the one place where
 * records are checked. The CPR number is pseudonymised inside rec_build,
 * in a stack buffer wiped straight after: a struct record never holds it.
 * The record id and the course key are pseudonymised there too, the
 * moment each is read (pseud_ident_hex): a struct record holds only their
 * hex pseudonyms, never the text as given.
 *
 * Every rejection fills struct fr_err with the field, a reason for people
 * (never the rejected value), and for CSV the column.
 *
 * Threads: rec_build may run on any thread; ctx->pseud must then belong to
 * that thread for the duration (pseud contexts are not thread-safe).
 */
#ifndef FREMDRIFT_RECORD_H
#define FREMDRIFT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "fremdrift/catalog.h"
#include "fremdrift/cpr.h"
#include "fremdrift/err.h"
#include "fremdrift/instrument.h"
#include "fremdrift/pseudonym.h"

#define REC_ID_MAX 128 /* characters of an id or course key as given */
#define REC_SOURCE_MAX 64
#define REC_CODE_MAX 40
#define REC_TIME_MAX 40
#define REC_LINE_MAX (1u << 20) /* longest NDJSON line / CSV record */

enum rec_kind { REC_NONE = 0, REC_RESPONSE, REC_EVENT };

enum ev_type {
	EV_NONE = 0,
	EV_COURSE_STARTED,
	EV_INTERVENTION_STARTED,
	EV_INTERVENTION_ENDED,
	EV_HOURS,
	EV_MEETING,
	EV_GOAL_SET,
	EV_GOAL_RATED,
	EV_JOB_CHANCE_RATED,
	EV_COURSE_ENDED,
	EV_FOLLOWUP,
	EV_TYPES
};

/* The name of an event type ("course_started"), or NULL. */
const char *rec_event_type_name(enum ev_type t);

struct record {
	enum rec_kind kind;
	char id[PSEUD_HEX_LEN + 1]; /* the record id's pseudonym, in hex */
	char source[REC_SOURCE_MAX + 1];
	unsigned char pseudonym[PSEUD_LEN];
	int key_no;
	int birth_year;
	char sex; /* 'F' or 'M' */
	/* The course key's pseudonym in hex; "" when absent (responses
	 * only). */
	char course[PSEUD_HEX_LEN + 1];

	/* response */
	const struct instrument *instr;
	char respondent; /* 'c' or 'k' */
	char answered_at[REC_TIME_MAX + 1];
	int16_t answers[INSTR_MAX_ITEMS];
	double scores[INSTR_MAX_DIMS];
	unsigned char score_present[INSTR_MAX_DIMS];

	/* event */
	enum ev_type type;
	char at[REC_TIME_MAX + 1];
	char department[REC_CODE_MAX + 1];
	char agreement[REC_CODE_MAX + 1];
	char intervention[REC_CODE_MAX + 1];
	char week[11]; /* the Monday, YYYY-MM-DD */
	double hours, paid_hours;
	char meeting[REC_CODE_MAX + 1];
	int attended; /* 0 or 1 */
	char goal[REC_CODE_MAX + 1];
	int weight;
	int level;
	char exit_status[REC_CODE_MAX + 1];
	int months_after;
	char status[REC_CODE_MAX + 1];
};

enum rec_vtype { RV_NULL = 0, RV_STRING, RV_INT, RV_REAL, RV_BOOL, RV_OBJECT,
		 RV_ARRAY };

struct rec_field;

struct rec_value {
	enum rec_vtype type;
	const char *s; /* RV_STRING: not NUL-terminated */
	size_t len;
	long long i;   /* RV_INT */
	double d;      /* RV_REAL (and RV_INT) */
	int b;         /* RV_BOOL */
	const struct rec_field *pairs; /* RV_OBJECT ("answers"): its members */
	int npairs;
};

struct rec_field {
	const char *name; /* not NUL-terminated */
	size_t nlen;
	struct rec_value v;
};

struct rec_ctx {
	const struct catalog *cat;
	struct pseud_ctx *pseud;  /* owned by the calling thread */
	int key_no;               /* the number of the key in the database */
	struct cpr_date today;
	const char *default_source; /* when a record names none */
	int csv;                  /* values are text; extra columns are items */
	enum rec_kind csv_kind;   /* what a CSV file holds */
};

/*
 * Builds out from n fields (borrowed). 0, or FR_EINVAL with err->field,
 * err->msg and (CSV) err->column set.
 */
int rec_build(struct record *out, const struct rec_ctx *ctx,
	      const struct rec_field *fields, int n, struct fr_err *err);

/*
 * Computes a response's dimension scores from its answers (r->instr and
 * r->answers set), as rec_build does for every response it builds: a
 * record the server makes itself (a link's response, server/links.c) is
 * scored through here, so it is scored exactly as one that came in.
 */
void rec_score(struct record *r);

/*
 * Parses one NDJSON line (or JSON array element text) of len bytes into
 * out. Unreadable JSON is FR_EPARSE with the column in err.
 */
int rec_parse_json(const char *text, size_t len, const struct rec_ctx *ctx,
		   struct record *out, struct fr_err *err);

/*
 * Splits an application/json body into the texts of its records: a JSON
 * array of values, or one value on its own (an object: one record). The
 * syntax of the whole body is checked as strictly as rec_parse_json checks
 * a record, without building a document: memory stays constant whatever
 * the body's size. What each element means is rec_parse_json's business.
 *
 * struct rec_split borrows text, which must outlive it; it may be stopped
 * and resumed between calls (a large body is split a slice at a time).
 * Any thread, one at a time per struct.
 */
struct rec_split {
	const char *text;
	size_t len;
	size_t pos; /* the next byte to look at */
	int state;  /* before the body, in the array, after it, done */
	long index; /* elements returned so far */
};

void rec_split_init(struct rec_split *s, const char *text, size_t len);

/*
 * The next element: 1 with its text in *elem and *elen (pointing into
 * text); 0 when the body has ended well (and at every call after that);
 * FR_EPARSE when the body is not a JSON array or object, with err->msg
 * saying what and where (line and column, 1-based bytes) and err->line and
 * err->column set; every call after that fails too.
 */
int rec_split_next(struct rec_split *s, const char **elem, size_t *elen,
		   struct fr_err *err);

/* The same for an already parsed JSON object (a json_t *). */
int rec_from_json_object(void *object, const struct rec_ctx *ctx,
			 struct record *out, struct fr_err *err);

/*
 * Checks the header of a CSV file of kind, once for the whole file: every
 * column must be a field of that kind or (responses) an item of some
 * instrument in cat, and the columns every record needs must be there.
 * cols (ncols names, borrowed) are trimmed. 0, or FR_EINVAL with err->msg
 * naming the column and saying what is wrong (never quoting a name shaped
 * like a CPR number).
 */
int rec_check_csv_header(enum rec_kind kind, const struct catalog *cat,
			 char *const *cols, int ncols, struct fr_err *err);

/* 1 if the len bytes at s are valid UTF-8 without NUL or any other
 * control character (C0 but tab, DEL, C1). A tab is kept: COPY escapes
 * it. */
int rec_text_ok(const char *s, size_t len);

/* 1 if s is a valid source name: 1 to 64 of A-Z a-z 0-9 _ . - */
int rec_source_ok(const char *s);

/*
 * Checks an RFC 3339 timestamp with offset (allow_date: or a plain
 * YYYY-MM-DD). 0 or FR_EINVAL.
 */
int rec_check_time(const char *s, size_t len, int allow_date);

/* Converts an ISO week "2026-W09" to its Monday "2026-02-23". */
int rec_iso_week_monday(const char *s, size_t len, char out[11]);

#endif
