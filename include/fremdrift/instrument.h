/*
 * Questionnaire definitions and scoring (docs/instruments.md).
 *
 * A definition is data (instruments/NAME-vN.json, compiled into the
 * binary); struct instrument is its parsed form. Scoring is pure: no I/O,
 * no allocation, callable from any thread. Answers are held as int16 with
 * INSTR_NULL for "not answered".
 */
#ifndef FREMDRIFT_INSTRUMENT_H
#define FREMDRIFT_INSTRUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "fremdrift/err.h"

#define INSTR_MAX_ITEMS 64
#define INSTR_MAX_DIMS 16
#define INSTR_MAX_SUBGOALS 24
#define INSTR_ID_MAX 40
#define INSTR_NULL INT16_MIN

struct instr_item {
	char id[INSTR_ID_MAX];
	int dim;      /* index into dims */
	int min, max; /* the item's scale */
	int reversed; /* counts as min + max - x */
};

struct instr_dim {
	char id[INSTR_ID_MAX];
	double prior_alpha; /* used until 30 complete baselines exist */
	int optional;
	int nitems;
	int items[INSTR_MAX_ITEMS]; /* indexes into items */
};

struct instr_subgoal {
	char id[INSTR_ID_MAX];
	int dim;
	double threshold; /* attained when the score is at or above it */
};

struct instrument {
	char name[INSTR_ID_MAX];
	int version;
	char respondent; /* 'c' citizen, 'k' consultant */
	int nitems;
	struct instr_item items[INSTR_MAX_ITEMS];
	int ndims;
	struct instr_dim dims[INSTR_MAX_DIMS];
	int nsubgoals;
	struct instr_subgoal subgoals[INSTR_MAX_SUBGOALS];
};

/* The index of item id (len bytes) in ins, or -1. */
int instr_find_item(const struct instrument *ins, const char *id, size_t len);

/* The same, trying index hint first (answers mostly come in the
 * instrument's order: the ingest looks each one up). */
int instr_find_item_from(const struct instrument *ins, const char *id,
			 size_t len, int hint);

/* The index of dimension id, or -1. */
int instr_find_dim(const struct instrument *ins, const char *id);

/*
 * Dimension scores of one response: for each dimension, the mean of its
 * answered items (reversed items as min + max - x), rescaled to 0-100 as
 * 100 * (mean - min) / (max - min). A dimension with fewer than two thirds
 * of its items answered has no score: present[d] = 0 and scores[d] = 0.
 * answers has ins->nitems values; scores and present have ins->ndims.
 */
void instr_score(const struct instrument *ins, const int16_t *answers,
		 double *scores, unsigned char *present);

/* 1 if value is on the item's scale. */
int instr_in_range(const struct instr_item *item, int value);

#endif
