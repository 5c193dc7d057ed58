/*
 * The leadership page's sections as tables (dash_table.h): what each
 * section shows, read from the model once, so that the HTML table, the
 * chart above it and the CSV download are made from the same cells and
 * cannot disagree.
 */
#include "dash_table.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Progression and exits side by side, for a breakdown (the mix of
 * interventions, the consultant's belief). */
#define OUTCOME_COLUMNS                                                        \
	{                                                                      \
		{"Borgere", 'n', DU_COUNT}, {"Sikker fremgang", '1', DU_SHARE}, \
		    {"Sikker tilbagegang", '2', DU_SHARE},                     \
		    {"Afsluttede forløb", 'e', DU_COUNT},                      \
		    {"Til job eller uddannelse", 's', DU_SHARE}                \
	}

/* Each section: the view it shows, whether its rows are the trend's
 * periods or the chosen period's categories, its columns and which of
 * them the chart draws. The texts are plain Danish (docs/dashboard.md). */
const struct dt_section dt_sections[DT_NSECTIONS] = {
	{"forloeb", "Borgere i forløb",
	 "Hvor mange borgere der var i forløb i perioden, og i perioderne før.",
	 DV_OVERVIEW, 1, "Periode", 1,
	 {{"Borgere i forløb", 'n', DU_COUNT}},
	 {0, -1}},
	{"udvikling", "Udvikling i besvarelserne",
	 "Borgere med mindst to besvarelser i perioden: hvor mange der har en "
	 "sikker fremgang eller tilbagegang på hvert område. Sikker betyder "
	 "større end den usikkerhed, der altid er i et spørgeskema.",
	 DV_PROGRESSION, 0, "Område", 4,
	 {{"Borgere", 'n', DU_COUNT},
	  {"Sikker fremgang", '1', DU_SHARE},
	  {"Sikker tilbagegang", '2', DU_SHARE},
	  {"Gennemsnitlig ændring (point af 100)", 'm', DU_MEAN}},
	 {1, 2}},
	{"virksomhed", "Virksomhedsrettede indsatser",
	 "Andelen af forløb med praktik, løntimer eller en anden "
	 "virksomhedsrettet indsats, og hvor mange dage der gik fra start til "
	 "den første. Tidligt og sammen med anden støtte virker bedst.",
	 DV_COMPANY, 1, "Periode", 3,
	 {{"Borgere i forløb", 'n', DU_COUNT},
	  {"Med virksomhedsrettet indsats", '1', DU_SHARE},
	  {"Dage fra start til den første (median)", 'd', DU_DAYS}},
	 {1, -1}},
	{"samtidig", "Samtidige eller efterfølgende indsatser",
	 "Fremgang og afgang til job eller uddannelse efter, hvordan "
	 "indsatserne lå: samtidig, efter hinanden, kun den ene slags eller "
	 "ingen.",
	 DV_MIX, 0, "Indsatser", 5,
	 OUTCOME_COLUMNS,
	 {1, 4}},
	{"timer", "Løntimer",
	 "Løntimer pr. uge i gennemsnit for borgere med løntimer, periode for "
	 "periode.",
	 DV_PAID_HOURS, 1, "Periode", 2,
	 {{"Borgere med løntimer", 'n', DU_COUNT},
	  {"Timer pr. uge (gennemsnit)", 'm', DU_MEAN}},
	 {1, -1}},
	{"tro", "Konsulentens tro på borgeren",
	 "Konsulentens første vurdering af borgerens chance for job (1 er "
	 "mindst, 5 er størst) sammenholdt med fremgang og afgang til job "
	 "eller uddannelse.",
	 DV_BELIEF, 0, "Første vurdering", 5,
	 OUTCOME_COLUMNS,
	 {1, 4}},
	{"delmaal", "Delmål",
	 "Andelen af borgerne med et delmål, der har nået det.",
	 DV_SUBGOALS, 0, "Delmål", 2,
	 {{"Borgere med delmålet", 'n', DU_COUNT},
	  {"Nået", '1', DU_SHARE}},
	 {1, -1}},
	{"afgang", "Hvor borgerne gik hen",
	 "Borgere, hvis forløb sluttede i perioden, efter hvad de gik til.",
	 DV_EXITS, 0, "Status ved afslutning", 1,
	 {{"Borgere", 'n', DU_COUNT}},
	 {0, -1}},
	{"opfoelgning", "Ved opfølgningen",
	 "De samme borgere ved opfølgningen nogle måneder efter.",
	 DV_FOLLOWUPS, 0, "Status ved opfølgning", 1,
	 {{"Borgere", 'n', DU_COUNT}},
	 {0, -1}},
};

static const char *const mix_names[][2] = {
	{"parallel", "Samtidige indsatser"},
	{"sequential", "Efter hinanden"},
	{"company_only", "Kun virksomhedsrettet"},
	{"other_only", "Kun anden støtte"},
	{"none", "Ingen indsats registreret"},
};

double dt_field(const struct dr_fig *f, char field)
{
	switch (field) {
	case 'n': return f->n;
	case '1': return f->s1;
	case '2': return f->s2;
	case 'm': return f->m;
	case 'e': return f->e;
	case 's': return f->se;
	case 'd': return f->md;
	default: return NAN;
	}
}

void dr_period_words(const char *period, char *out, size_t size)
{
	if (strlen(period) == 7 && period[4] == '-' && period[5] == 'Q')
		snprintf(out, size, "%c. kvartal %.4s", period[6], period);
	else
		snprintf(out, size, "%s", period);
}

static const char *json_label(const struct dr_model *m, const char *kind,
			      const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(m->labels, kind), key));
}

void dt_key_label(const struct dr_model *m, enum dr_view v, const char *key,
		  char *out, size_t size)
{
	const char *name = NULL;

	if (v == DV_PROGRESSION)
		name = json_label(m, "dimension", key);
	else if (v == DV_SUBGOALS)
		name = json_label(m, "subgoal", key);
	else if (v == DV_EXITS || v == DV_FOLLOWUPS)
		name = json_label(m, "status", key);
	else if (v == DV_MIX)
		for (size_t i = 0; i < sizeof(mix_names) / sizeof(mix_names[0]);
		     i++)
			if (strcmp(mix_names[i][0], key) == 0)
				name = mix_names[i][1];
	if (v == DV_BELIEF)
		snprintf(out, size, "Vurdering %s", key);
	else
		snprintf(out, size, "%s", name ? name : key);
}

/* The rows of a trend section: one per period of the trend. */
static void trend_rows(const struct dr_model *m, const struct dt_section *s,
		       struct dt_table *t)
{
	const struct dr_viewdata *v = &m->v[s->view];

	for (int p = 0; p < m->ntrend; p++) {
		struct dt_row *r = &t->row[t->nrows++];

		dr_period_words(m->trend[p], r->label, sizeof(r->label));
		r->key = m->trend[p];
		/* A trend view has one category, "" (the whole breakdown). */
		r->has = v->nkeys > 0 && v->has[p][0];
		for (int c = 0; c < s->ncols; c++)
			r->val[c] = r->has ? dt_field(&v->fig[p][0],
						      s->cols[c].field)
					   : NAN;
	}
}

/* The rows of a category section: one per category, in the chosen
 * period (the trend's last). */
static void key_rows(const struct dr_model *m, const struct dt_section *s,
		     struct dt_table *t)
{
	const struct dr_viewdata *v = &m->v[s->view];
	int p = m->ntrend - 1;

	for (int k = 0; k < v->nkeys; k++) {
		struct dt_row *r = &t->row[t->nrows++];

		dt_key_label(m, s->view, v->keys[k], r->label,
			     sizeof(r->label));
		r->key = v->keys[k];
		r->has = v->has[p][k];
		for (int c = 0; c < s->ncols; c++)
			r->val[c] = r->has ? dt_field(&v->fig[p][k],
						      s->cols[c].field)
					   : NAN;
	}
}

void dt_build(const struct dr_model *m, int section, struct dt_table *t)
{
	const struct dt_section *s = &dt_sections[section];

	memset(t, 0, sizeof(*t));
	t->s = s;
	if (s->trend)
		trend_rows(m, s, t);
	else
		key_rows(m, s, t);
}
