/*
 * The leadership page as CSV (dash_render.h): one row per figure of every
 * section's table, made from the same tables as the page (dash_table.c),
 * for Danish Excel: a UTF-8 byte-order mark, ';' between fields, decimal
 * comma, CRLF.
 */
#include "fremdrift/dash_render.h"

#include "dash_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void dt_cell_text(const struct dt_table *t, int r, int c, int min_cell,
		  char *out, size_t size);

/* 1 if s is a whole number as written here: -?digits[.digits]*[,digits]. */
static int number_like(const char *s)
{
	size_t n = strspn(s + (s[0] == '-'), "0123456789.,");

	return n > 0 && s[(s[0] == '-') + n] == '\0';
}

/* A spreadsheet would run a text beginning with = + - @, a tab or a line
 * break as a formula: such a text (unless it is a number, such as
 * "-2,3") gets a leading apostrophe, which Excel shows as text. */
static int formula_like(const char *s)
{
	return strchr("=+-@\t\r\n", s[0]) != NULL && s[0] != '\0' &&
	       !number_like(s);
}

/* A field, quoted when it holds ';', '"' or a line break; the apostrophe
 * goes inside the quotes. */
static int field(struct fr_buf *b, const char *s, int last)
{
	int rc = 0;
	int quote = strpbrk(s, ";\"\r\n") != NULL;

	if (quote)
		rc |= fr_buf_append(b, "\"", 1);
	if (formula_like(s))
		rc |= fr_buf_append(b, "'", 1);
	if (!quote)
		rc |= fr_buf_append(b, s, strlen(s));
	else {
		for (; *s; s++)
			rc |= *s == '"' ? fr_buf_append(b, "\"\"", 2)
					: fr_buf_append(b, s, 1);
		rc |= fr_buf_append(b, "\"", 1);
	}
	rc |= last ? fr_buf_append(b, "\r\n", 2) : fr_buf_append(b, ";", 1);
	return rc ? FR_ETOOBIG : 0;
}

static const char *name_of(const struct dr_label *l, int n, const char *code,
			   const char *all)
{
	if (code == NULL)
		return all;
	for (int i = 0; i < n; i++)
		if (strcmp(l[i].code, code) == 0)
			return l[i].name;
	return code;
}

/* The value as a number for a spreadsheet (a share in whole percent), or
 * empty where the page shows none. */
static void value_of(const struct dt_row *row, int c, enum dt_unit u,
		     char *out, size_t size)
{
	double v = row->val[c];

	if (!row->has || isnan(v))
		out[0] = '\0';
	else if (u == DU_SHARE)
		snprintf(out, size, "%ld", lround(v * 100));
	else
		dr_num(v, u == DU_MEAN ? 1 : 0, out, size);
	/* no thousands separator in a number Excel is to read */
	for (char *p = strchr(out, '.'); p; p = strchr(out, '.'))
		memmove(p, p + 1, strlen(p));
}

static int section_rows(struct fr_buf *b, const struct dr_model *m,
			const struct dt_table *t, const char *dep,
			const char *tg)
{
	const struct dt_section *s = t->s;
	int rc = 0;

	for (int r = 0; r < t->nrows; r++) {
		const struct dt_row *row = &t->row[r];
		char period[32], value[64], shown[64];

		dr_period_words(s->trend ? row->key : m->period, period,
				sizeof(period));
		for (int c = 0; c < s->ncols; c++) {
			value_of(row, c, s->cols[c].unit, value, sizeof(value));
			dt_cell_text(t, r, c, m->prot.min_cell, shown,
				     sizeof(shown));
			rc |= field(b, s->title, 0);
			rc |= field(b, period, 0);
			rc |= field(b, dep, 0);
			rc |= field(b, tg, 0);
			rc |= field(b, row->label, 0);
			rc |= field(b, s->cols[c].head, 0);
			rc |= field(b, value, 0);
			rc |= field(b, shown, 1);
		}
	}
	return rc ? FR_ETOOBIG : 0;
}

/* The section on what foretells a good exit: the whole provider's, so
 * "all" departments and target groups whatever the filter; the period is
 * the test cohorts'. */
int dr_validity_csv(struct fr_buf *b, const struct dr_model *m)
{
	struct dv_table t;
	char period[96];
	int rc = 0;

	dv_build(m, &t);
	dv_cohort_words(m->validity.test_cohorts, period, sizeof(period));
	for (int r = 0; r < t.nrows; r++)
		for (int s = 0; s < DV_NSCORES; s++) {
			char value[32], shown[64];

			dv_cell_value(t.row[r].cell[s], value, sizeof(value));
			dv_cell_text(t.row[r].cell[s], shown, sizeof(shown));
			rc |= field(b, DV_TITLE, 0);
			rc |= field(b, period, 0);
			rc |= field(b, "Alle afdelinger", 0);
			rc |= field(b, "Alle målgrupper", 0);
			rc |= field(b, t.row[r].label, 0);
			rc |= field(b, dv_score_head[s], 0);
			rc |= field(b, value, 0);
			rc |= field(b, shown, 1);
		}
	return rc ? FR_ETOOBIG : 0;
}

int dr_csv(struct fr_buf *b, const struct dr_model *m)
{
	const char *dep = name_of(m->deps, m->ndeps, m->department,
				  "Alle afdelinger");
	const char *tg = name_of(m->tgs, m->ntgs, m->target_group,
				 "Alle målgrupper");
	static const char head[] =
		"\xEF\xBB\xBF"
		"Afsnit;Periode;Afdeling;Målgruppe;Række;Mål;Værdi;Vist som\r\n";
	int rc = fr_buf_append(b, head, sizeof(head) - 1);

	for (int i = 0; i < DT_NSECTIONS; i++) {
		struct dt_table t;

		dt_build(m, i, &t);
		rc |= section_rows(b, m, &t, dep, tg);
	}
	rc |= dr_validity_csv(b, m);
	return rc ? FR_ETOOBIG : 0;
}

void dr_csv_name(const struct dr_model *m, char *out, size_t size)
{
	snprintf(out, size, "fremdrift-%s-%s-%s.csv", m->period,
		 m->department ? m->department : "alle",
		 m->target_group ? m->target_group : "alle");
}
