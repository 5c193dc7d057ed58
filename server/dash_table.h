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

/* Opens a section's table (dash_render.c): its scroll region, caption
 * and column heads; the rows and "</tbody></table></div>" are the
 * caller's. */
int dt_table_open(struct fr_buf *b, const char *id, const char *caption,
		  const char *rowhead, const char *const *heads, int n);
/* Opens a row: its key (data-key) and its name (a row header), escaped. */
int dt_row_open(struct fr_buf *b, const char *key, const char *label);

/*
 * The section on what foretells a good exit (dash_validity.c), as a
 * table: a row per questionnaire dimension (or the consultant's rating),
 * a column per score (at the start, the latest, the change), each cell a
 * row of the summary or NULL. The HTML and the CSV are made from it.
 */
#define DV_NSCORES 3
extern const char *const dv_score_head[DV_NSCORES];

struct dv_row {
	char label[192];
	char key[96]; /* instrument/predictor */
	const struct dr_validity_row *cell[DV_NSCORES];
};

struct dv_table {
	int nrows;
	struct dv_row row[DR_MAX_VALIDITY];
};

void dv_build(const struct dr_model *m, struct dv_table *t);

/* A cell as the page shows it ("stærkt (0,72)", "–") and as a number for
 * a spreadsheet ("0,72", ""). */
void dv_cell_text(const struct dr_validity_row *c, char *out, size_t size);
void dv_cell_value(const struct dr_validity_row *c, char *out, size_t size);

/* "1. kvartal 2025 til 4. kvartal 2025" from "2025-Q1..2025-Q4". */
void dv_cohort_words(const char *cohorts, char *out, size_t size);

#define DV_TITLE "Hvad peger på et godt udfald?"

#endif
