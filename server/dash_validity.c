/*
 * The leadership page's section "Hvad peger på et godt udfald?" (issue
 * 18, docs/validity.md, docs/dashboard.md "The page"): which of the
 * questionnaire's dimensions, and the consultant's rating, foretold a good
 * exit at course end, and how strongly, in plain Danish words with the
 * C-statistic beside them.
 *
 * Everything here comes from fremdrift.validity_summary, read by
 * fremdrift.dash_page(): published figures only, each over at least the
 * configured minimum of courses, for the whole provider whatever filter
 * is chosen, and rounded to two decimals. Nothing is computed here but
 * the choice of words and which cell is the clearest.
 */
#include "fremdrift/dash_render.h"
#include "fremdrift/page_render.h"

#include "dash_table.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PUT(b, s) (rc |= fr_buf_append((b), (s), strlen(s)))
#define PUTF(b, ...) (rc |= fr_buf_printf((b), __VA_ARGS__))
#define ESC(b, s) (rc |= pr_escape((b), (s)))

static const char *const score_code[DV_NSCORES] = {"start", "latest",
						   "change"};
const char *const dv_score_head[DV_NSCORES] = {"Ved start", "Seneste svar",
					       "Udvikling"};
static const char *const score_phrase[DV_NSCORES] = {"ved start",
						     "seneste svar",
						     "udvikling"};

/* The words of docs/validity.md, in Danish. */
static const char *const strength_words[][2] = {
	{"strong", "stærkt"}, {"moderate", "middel"}, {"weak", "svagt"},
	{"none", "ikke"},     {"opposite", "modsat"},
};

static const char *word_of(const char *strength)
{
	for (size_t i = 0; i < sizeof(strength_words) / sizeof(strength_words[0]);
	     i++)
		if (strcmp(strength_words[i][0], strength) == 0)
			return strength_words[i][1];
	return strength;
}

/* A row's name: the dimension's Danish name and whose answer it is, or
 * the consultant's rating. */
static void label_of(const struct dr_model *m, const struct dr_validity_row *v,
		     char *out, size_t size)
{
	const char *name = json_string_value(json_object_get(
		json_object_get(m->labels, "dimension"), v->predictor));

	if (v->respondent == NULL)
		snprintf(out, size, "Konsulentens første vurdering af "
				    "jobchancen");
	else
		snprintf(out, size, "%s (%s)", name ? name : v->predictor,
			 strcmp(v->respondent, "citizen") == 0
				 ? "borgerens svar"
				 : "konsulentens vurdering");
}

void dv_build(const struct dr_model *m, struct dv_table *t)
{
	const struct dr_validity *d = &m->validity;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < d->nrows; i++) {
		const struct dr_validity_row *v = &d->rows[i];
		char key[96];
		int r, s;

		snprintf(key, sizeof(key), "%s/%s", v->instrument, v->predictor);
		for (r = 0; r < t->nrows && strcmp(t->row[r].key, key) != 0; r++)
			;
		if (r == t->nrows) {
			t->nrows++;
			snprintf(t->row[r].key, sizeof(t->row[r].key), "%s", key);
			label_of(m, v, t->row[r].label, sizeof(t->row[r].label));
		}
		for (s = 0; s < DV_NSCORES; s++)
			if (strcmp(score_code[s], v->score) == 0)
				t->row[r].cell[s] = v;
	}
}

void dv_cell_value(const struct dr_validity_row *c, char *out, size_t size)
{
	if (c == NULL)
		out[0] = '\0';
	else
		dr_num(c->c, 2, out, size);
}

void dv_cell_text(const struct dr_validity_row *c, char *out, size_t size)
{
	char num[32];

	if (c == NULL) {
		snprintf(out, size, "–");
		return;
	}
	dv_cell_value(c, num, sizeof(num));
	snprintf(out, size, "%s (%s)", word_of(c->strength), num);
}

void dv_cohort_words(const char *cohorts, char *out, size_t size)
{
	const char *dots = cohorts ? strstr(cohorts, "..") : NULL;
	char from[16], a[32], b[32];

	if (dots == NULL || dots - cohorts >= (long)sizeof(from)) {
		snprintf(out, size, "%s", cohorts ? cohorts : "");
		return;
	}
	snprintf(from, sizeof(from), "%.*s", (int)(dots - cohorts), cohorts);
	dr_period_words(from, a, sizeof(a));
	dr_period_words(dots + 2, b, sizeof(b));
	snprintf(out, size, strcmp(a, b) == 0 ? "%s" : "%s til %s", a, b);
}

/* The one sentence above the table: the clearest sign, if any. */
static int clearest(struct fr_buf *b, const struct dv_table *t)
{
	const struct dr_validity_row *best = NULL;
	const struct dv_row *row = NULL;
	int rc = 0, score = 0;

	for (int r = 0; r < t->nrows; r++)
		for (int s = 0; s < DV_NSCORES; s++) {
			const struct dr_validity_row *c = t->row[r].cell[s];

			if (c && strcmp(c->strength, "none") != 0 &&
			    strcmp(c->strength, "opposite") != 0 &&
			    (best == NULL || c->c > best->c)) {
				best = c;
				row = &t->row[r];
				score = s;
			}
		}
	if (best == NULL) {
		PUT(b, "<p>Ingen af svarene peger endnu tydeligt på et godt "
		       "udfald.</p>");
		return rc ? FR_ETOOBIG : 0;
	}
	PUT(b, "<p class=\"lead\">Tydeligst: ");
	ESC(b, row->label);
	PUTF(b, ", %s (%s, ", score_phrase[score], word_of(best->strength));
	{
		char num[32];

		dv_cell_value(best, num, sizeof(num));
		PUTF(b, "%s).</p>", num);
	}
	return rc ? FR_ETOOBIG : 0;
}

static int table(struct fr_buf *b, const struct dv_table *t)
{
	int rc = dt_table_open(b, "udfald", "Hvad svarene siger om udfaldet, "
				     "i ord og tal", "Område", dv_score_head,
			       DV_NSCORES);

	for (int r = 0; r < t->nrows; r++) {
		rc |= dt_row_open(b, t->row[r].key, t->row[r].label);
		for (int s = 0; s < DV_NSCORES; s++) {
			const struct dr_validity_row *c = t->row[r].cell[s];
			char text[64];

			dv_cell_text(c, text, sizeof(text));
			PUTF(b, "<td data-strength=\"%s\">%s</td>",
			     c ? c->strength : "", text);
		}
		PUT(b, "</tr>");
	}
	PUT(b, "</tbody></table></div>");
	return rc ? FR_ETOOBIG : 0;
}

static int intro(struct fr_buf *b, const struct dr_validity *d)
{
	char cohorts[96];
	int rc = 0;

	dv_cohort_words(d->test_cohorts, cohorts, sizeof(cohorts));
	PUT(b, "<p>Kan borgerens svar i spørgeskemaet og konsulentens "
	       "vurdering fortælle, hvem der går til job eller uddannelse, "
	       "når forløbet slutter? Vi har lært af de ældre forløb og prøvet "
	       "det af på de nyeste: forløb, der startede ");
	ESC(b, cohorts);
	PUTF(b, " og var slut før %s. Tallene gælder alle afdelinger og "
		"målgrupper, uanset hvad der er valgt ovenfor.</p>",
	     d->data_until ? d->data_until : "");
	return rc ? FR_ETOOBIG : 0;
}

int dr_validity_section(struct fr_buf *b, const struct dr_model *m)
{
	const struct dr_validity *d = &m->validity;
	struct dv_table t;
	int rc = 0;

	dv_build(m, &t);
	PUT(b, "<section id=\"udfald\" aria-labelledby=\"udfald-h\"><h2 "
	       "id=\"udfald-h\">" DV_TITLE "</h2>");
	if (t.nrows == 0) {
		PUT(b, "<p>Der er endnu ikke tal: de kommer, når nok forløb er "
		       "afsluttet til, at vi kan se, hvad der peger på et godt "
		       "udfald.</p></section>");
		return rc ? FR_ETOOBIG : 0;
	}
	rc |= intro(b, d);
	rc |= clearest(b, &t);
	rc |= table(b, &t);
	PUTF(b, "<p class=\"small\">Sådan læses det: tallet i parentes siger, "
		"hvor godt svaret skiller dem, der gik til job eller "
		"uddannelse, fra dem, der ikke gjorde. 0,50 er som at slå plat "
		"og krone; 1 ville være en sikker forudsigelse. "
		"<strong>Stærkt</strong> er 0,70 eller mere, "
		"<strong>middel</strong> 0,60 til 0,69, <strong>svagt</strong> "
		"under 0,60. <strong>Ikke</strong> betyder, at vi ikke kan "
		"skelne det fra tilfældigheder, og <strong>modsat</strong>, at "
		"høje svar pegede mod et dårligere udfald. – betyder, at der "
		"ikke er tal: færre end %d forløb, eller intet at måle. Et svagt "
		"tal siger ikke, at området er ligegyldigt for borgeren, kun at "
		"det ikke forudsiger udfaldet.</p></section>",
	     d->min_n);
	return rc ? FR_ETOOBIG : 0;
}
