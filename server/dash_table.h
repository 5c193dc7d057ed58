/*
 * The leadership page's sections as tables: the one place that says what
 * each section shows. dash_render.c draws the HTML table and the chart
 * from a section's table, and writes the CSV from the same tables.
 * Internal to server/dash_*.c.
 */
#ifndef FREMDRIFT_DASH_TABLE_H
#define FREMDRIFT_DASH_TABLE_H

#include "fremdrift/dash_render.h"

enum dt_unit {
	DU_COUNT, /* citizens: a whole number */
	DU_SHARE, /* 0..1, shown as whole percent */
	DU_MEAN,  /* one decimal */
	DU_DAYS   /* whole days */
};

#define DT_MAX_COLS 6
#define DT_NSECTIONS 9

struct dt_col {
	const char *head;
	char field; /* n 1 2 m e s d: dr_fig's n s1 s2 m e se md */
	enum dt_unit unit;
};

struct dt_section {
	const char *id, *title, *intro;
	enum dr_view view;
	int trend; /* 1: a row per period of the trend; 0: per category */
	const char *rowhead;
	int ncols;
	struct dt_col cols[DT_MAX_COLS];
	int chart[2]; /* the columns the chart draws; -1 none */
};

extern const struct dt_section dt_sections[DT_NSECTIONS];

struct dt_row {
	char label[128];
	const char *key; /* the period or category code (borrowed) */
	int has;         /* 0: the release has no row here */
	double val[DT_MAX_COLS]; /* NAN: not shown (protected) */
};

struct dt_table {
	const struct dt_section *s;
	int nrows;
	struct dt_row row[DR_MAX_KEYS > DR_TREND ? DR_MAX_KEYS : DR_TREND];
};

/* Section i's table from the model. */
void dt_build(const struct dr_model *m, int section, struct dt_table *t);

/* A figure of a row by its field letter. */
double dt_field(const struct dr_fig *f, char field);

/* The Danish name of a view's category (a dimension, status, ...). */
void dt_key_label(const struct dr_model *m, enum dr_view v, const char *key,
		  char *out, size_t size);

#endif
