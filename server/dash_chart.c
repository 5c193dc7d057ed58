/*
 * The leadership page's charts: a section's table (dash_table.c) drawn as
 * horizontal bars in SVG, written by hand (a few hundred bytes a chart; no
 * library needed). The category's name stands above its bars, so long
 * Danish names fit a narrow screen. Two series differ by more than colour:
 * solid dark blue, and light with dark hatching and a dark edge, so they
 * survive grey-scale printing and colour blindness. A figure the release
 * does not show gets no bar but its word ("færre end 5", "skjult"). The
 * table under each chart is its text equivalent.
 */
#include "fremdrift/page_render.h"

#include "dash_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PUT(b, s) (rc |= fr_buf_append((b), (s), strlen(s)))
#define PUTF(b, ...) (rc |= fr_buf_printf((b), __VA_ARGS__))
#define ESC(b, s) (rc |= pr_escape((b), (s)))

/* The drawing, in SVG user units: bars run from 0 to BAR_W; the value
 * is written after the bar. */
#define CHART_W 640
#define BAR_W 500
#define BAR_H 18
#define LABEL_H 20
#define GROUP_GAP 12
#define LEGEND_H 30

void dt_cell_text(const struct dt_table *t, int r, int c, int min_cell,
		  char *out, size_t size)
{
	const struct dt_row *row = &t->row[r];
	double v = row->val[c];
	enum dt_unit u = t->s->cols[c].unit;

	if (!row->has)
		snprintf(out, size, "–");
	else if (isnan(v) && u == DU_COUNT)
		snprintf(out, size, "færre end %d", min_cell);
	else if (isnan(v))
		snprintf(out, size, "skjult");
	else if (u == DU_SHARE)
		snprintf(out, size, "%ld %%", lround(v * 100));
	else
		dr_num(v, u == DU_MEAN ? 1 : 0, out, size);
}

/* The length a value's bar is measured against: 100 % for shares, the
 * largest shown value otherwise. */
static double scale_of(const struct dt_table *t, int ncol, const int *cols)
{
	double max = 0;

	if (t->s->cols[cols[0]].unit == DU_SHARE)
		return 1;
	for (int r = 0; r < t->nrows; r++)
		for (int k = 0; k < ncol; k++)
			if (t->row[r].val[cols[k]] > max)
				max = t->row[r].val[cols[k]];
	return max > 0 ? max : 1;
}

static int defs(struct fr_buf *b, const char *id)
{
	int rc = 0;

	PUTF(b, "<defs><pattern id=\"%s-hatch\" width=\"6\" height=\"6\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)"
		"\"><rect width=\"6\" height=\"6\" fill=\"#fde68a\"/><line "
		"x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#78350f\" "
		"stroke-width=\"2\"/></pattern></defs>",
	     id);
	return rc ? FR_ETOOBIG : 0;
}

static int bar_fill(struct fr_buf *b, const char *id, int series)
{
	int rc = 0;

	if (series == 0)
		PUT(b, "fill=\"#1d4ed8\"");
	else
		PUTF(b, "fill=\"url(#%s-hatch)\" stroke=\"#78350f\" "
			"stroke-width=\"1.5\"",
		     id);
	return rc ? FR_ETOOBIG : 0;
}

static int legend(struct fr_buf *b, const struct dt_table *t, int ncol,
		  const int *cols)
{
	int rc = 0;
	int x = 0;

	if (ncol < 2)
		return 0;
	for (int k = 0; k < ncol; k++) {
		PUTF(b, "<rect x=\"%d\" y=\"4\" width=\"18\" height=\"18\" ", x);
		rc |= bar_fill(b, t->s->id, k);
		PUTF(b, "/><text x=\"%d\" y=\"18\">%s</text>", x + 26,
		     t->s->cols[cols[k]].head);
		x += 300;
	}
	return rc ? FR_ETOOBIG : 0;
}

/* One bar (or the word in its place) at y. */
static int bar(struct fr_buf *b, const struct dt_table *t, int r, int col,
	       int series, double scale, int y, int min_cell)
{
	double v = t->row[r].val[col];
	char text[64];
	int rc = 0;
	int w;

	dt_cell_text(t, r, col, min_cell, text, sizeof(text));
	if (isnan(v)) {
		/* No bar: say what is missing, and of which series. */
		PUTF(b, "<text x=\"2\" y=\"%d\" class=\"muted\">%s%s%s</text>",
		     y + BAR_H - 4, series || t->s->chart[1] >= 0
					  ? t->s->cols[col].head : "",
		     series || t->s->chart[1] >= 0 ? ": " : "", text);
		return rc ? FR_ETOOBIG : 0;
	}
	w = (int)lround(BAR_W * (v < 0 ? 0 : v) / scale);
	PUTF(b, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" ", y,
	     w > 0 ? w : 1, BAR_H);
	rc |= bar_fill(b, t->s->id, series);
	PUTF(b, "/><text x=\"%d\" y=\"%d\">%s</text>", (w > 0 ? w : 1) + 6,
	     y + BAR_H - 4, text);
	return rc ? FR_ETOOBIG : 0;
}

int dt_chart(struct fr_buf *b, const struct dt_table *t, int min_cell)
{
	const struct dt_section *s = t->s;
	int cols[2], ncol = 0, rc = 0, y, group, height;
	double scale;

	for (int k = 0; k < 2; k++)
		if (s->chart[k] >= 0)
			cols[ncol++] = s->chart[k];
	if (ncol == 0)
		return 0;
	scale = scale_of(t, ncol, cols);
	group = LABEL_H + ncol * (BAR_H + 4) + GROUP_GAP;
	height = (ncol > 1 ? LEGEND_H : 0) + t->nrows * group;
	PUTF(b, "<figure class=\"chart-box\"><svg class=\"bars\" viewBox=\"0 0 "
		"%d %d\" role=\"img\" aria-labelledby=\"%s-t\"><title id=\"%s-t"
		"\">%s: søjlediagram. Tallene står i tabellen under.</title>",
	     CHART_W, height, s->id, s->id, s->title);
	rc |= defs(b, s->id);
	rc |= legend(b, t, ncol, cols);
	y = ncol > 1 ? LEGEND_H : 0;
	for (int r = 0; r < t->nrows; r++, y += group) {
		PUTF(b, "<text x=\"0\" y=\"%d\" class=\"cat\">", y + 15);
		ESC(b, t->row[r].label);
		PUT(b, "</text>");
		for (int k = 0; k < ncol; k++)
			rc |= bar(b, t, r, cols[k], k, scale,
				  y + LABEL_H + k * (BAR_H + 4), min_cell);
	}
	PUT(b, "</svg></figure>");
	return rc ? FR_ETOOBIG : 0;
}
