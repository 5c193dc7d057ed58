/*
 * The leadership page as HTML (dash_render.h): sign-in, the page with its
 * filters, the note on protection, the headline row, and each section as
 * an SVG chart with its table under it. The sections' contents are
 * dash_table.c's; the charts dash_chart.c's.
 */
#include "fremdrift/dash_render.h"
#include "fremdrift/page_render.h"

#include "dash_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PUT(b, s) (rc |= fr_buf_append((b), (s), strlen(s)))
#define PUTF(b, ...) (rc |= fr_buf_printf((b), __VA_ARGS__))
#define ESC(b, s) (rc |= pr_escape((b), (s)))

int dt_chart(struct fr_buf *b, const struct dt_table *t, int min_cell);
void dt_cell_text(const struct dt_table *t, int r, int c, int min_cell,
		  char *out, size_t size);

void dr_num(double v, int dec, char *out, size_t size)
{
	char digits[64], *p;
	long long whole;
	size_t o = 0, n;

	if (isnan(v)) {
		snprintf(out, size, "–");
		return;
	}
	snprintf(digits, sizeof(digits), "%.*f", dec, fabs(v));
	p = strchr(digits, '.');
	n = p ? (size_t)(p - digits) : strlen(digits);
	whole = v < 0 && strspn(digits, "0.") != strlen(digits);
	if (whole && o + 1 < size)
		out[o++] = '-';
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		out[o++] = digits[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n && o + 1 < size)
			out[o++] = '.';
	}
	if (p) {
		if (o + 1 < size)
			out[o++] = ',';
		for (p++; *p && o + 1 < size; p++)
			out[o++] = *p;
	}
	out[o] = '\0';
}

static int page_start(struct fr_buf *b, const struct dr_ctx *c,
		      const char *title)
{
	int rc = 0;

	PUT(b, "<!doctype html><html lang=\"da\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width,"
	       "initial-scale=1\"><title>");
	ESC(b, title);
	PUT(b, "</title><link rel=\"stylesheet\" href=\"");
	ESC(b, c->css);
	PUT(b, "\"><link rel=\"stylesheet\" href=\"");
	ESC(b, c->dcss);
	PUT(b, "\"><script src=\"");
	ESC(b, c->js);
	PUT(b, "\" defer></script></head><body class=\"dash\"><a class=\"skip\" "
	       "href=\"#h\">Gå til indholdet</a>");
	return rc ? FR_ETOOBIG : 0;
}

static int page_end(struct fr_buf *b)
{
	return fr_buf_append(b, "</main></body></html>\n", 22);
}

/* The bar over every signed-in page: the name, and signing out (of the
 * single sign-on, when that signed the leader in). */
static int top_bar(struct fr_buf *b, const struct dr_ctx *c, int signed_in)
{
	int rc = 0;

	PUT(b, "<header class=\"bar\"><p class=\"brand\">fremdrift · Ledelsens "
	       "tal</p>");
	if (signed_in && !c->sso)
		PUT(b, "<form method=\"post\" action=\"/dashboard/logout\">"
		       "<button type=\"submit\" class=\"btn2\">Log ud</button>"
		       "</form>");
	else if (signed_in && c->sso_logout) {
		PUT(b, "<a class=\"btn2\" href=\"");
		ESC(b, c->sso_logout);
		PUT(b, "\">Log ud</a>");
	}
	PUT(b, "</header>");
	return rc ? FR_ETOOBIG : 0;
}

static const char *const signin_text[DR_SIGNIN_N][2] = {
	[DR_SIGNIN] = {NULL, NULL},
	[DR_SIGNIN_UNKNOWN] = {"Nøglen blev ikke genkendt.",
			       "Tjek, at hele nøglen er kopieret med, og at den "
			       "ikke er trukket tilbage."},
	[DR_SIGNIN_ROLE] = {"Nøglen giver ikke adgang til ledelsens tal.",
			    "Den hører til noget andet, for eksempel "
			    "indlæsning af data. Bed din it-afdeling om en "
			    "nøgle til ledelsens tal."},
	[DR_SIGNIN_EXPIRED] = {"Du var logget ud.",
			       "Du har ikke brugt siden i et stykke tid, så vi "
			       "har logget dig ud. Log ind igen."},
	[DR_SIGNED_OUT] = {"Du er logget ud.", "Tak for nu."},
};

static int signin_note(struct fr_buf *b, enum dr_signin_msg m)
{
	int rc = 0;
	int error = m == DR_SIGNIN_UNKNOWN || m == DR_SIGNIN_ROLE;

	if (m == DR_SIGNIN)
		return 0;
	PUTF(b, "<div class=\"%s\" id=\"note\"%s><p><strong>", error ? "error" : "note",
	     error ? " role=\"alert\"" : "");
	ESC(b, signin_text[m][0]);
	PUT(b, "</strong> ");
	ESC(b, signin_text[m][1]);
	PUT(b, "</p></div>");
	return rc ? FR_ETOOBIG : 0;
}

int dr_signin(struct fr_buf *b, const struct dr_ctx *c, enum dr_signin_msg m,
	      const char *next)
{
	int rc = page_start(b, c, "Log ind · Ledelsens tal");
	int error = m == DR_SIGNIN_UNKNOWN || m == DR_SIGNIN_ROLE;

	PUT(b, "<main><h1 id=\"h\" tabindex=\"-1\">Ledelsens tal</h1>");
	rc |= signin_note(b, m);
	PUT(b, "<p>Her ser ledelsen, hvordan det går borgerne i forløb: "
	       "udvikling, indsatser og hvor de går hen. Ingen enkelt borger "
	       "kan ses.</p>"
	       "<form method=\"post\" action=\"/dashboard/login\" "
	       "class=\"signin\"><input type=\"hidden\" name=\"next\" value=\"");
	ESC(b, next ? next : "");
	PUTF(b, "\"><label for=\"token\" class=\"field\">Din adgangsnøgle til "
		"ledelsens tal</label><p class=\"hint\" id=\"token-hint\">Du "
		"får nøglen af din it-afdeling. Den er lang; sæt den ind, "
		"som den er.</p><input id=\"token\" name=\"token\" "
		"type=\"password\" autocomplete=\"current-password\" "
		"spellcheck=\"false\" required aria-describedby=\"token-hint%s"
		"\"%s><div class=\"nav\"><button type=\"submit\" class=\"btn\">"
		"Log ind</button></div></form>",
	     error ? " note" : "", error ? " aria-invalid=\"true\"" : "");
	PUT(b, "<p class=\"small\">Du forbliver logget ind i op til 8 timer, "
	       "og bliver logget ud efter en time uden brug.</p>");
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

int dr_problem(struct fr_buf *b, const struct dr_ctx *c, const char *title,
	       const char *text)
{
	int rc = page_start(b, c, title);

	rc |= top_bar(b, c, c->signed_in);
	PUT(b, "<main><h1 id=\"h\" tabindex=\"-1\">");
	ESC(b, title);
	PUT(b, "</h1><p>");
	ESC(b, text);
	PUT(b, "</p><p><a href=\"/dashboard\">Vis de nyeste tal</a></p>");
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* Filters */

static int option(struct fr_buf *b, const char *value, const char *text,
		  const char *current)
{
	int rc = 0;
	int sel = current ? strcmp(value, current) == 0 : value[0] == '\0';

	PUT(b, "<option value=\"");
	ESC(b, value);
	PUTF(b, "\"%s>", sel ? " selected" : "");
	ESC(b, text);
	PUT(b, "</option>");
	return rc ? FR_ETOOBIG : 0;
}

static int period_select(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;
	int open = 0;

	PUT(b, "<div class=\"filter\"><label for=\"f-period\">Periode</label>"
	       "<select id=\"f-period\" name=\"period\">");
	for (int i = 0; i < m->nperiods; i++) {
		int quarter = strchr(m->periods[i], 'Q') != NULL;
		char words[32];

		if (open != (quarter ? 1 : 2)) {
			PUTF(b, "%s<optgroup label=\"%s\">",
			     open ? "</optgroup>" : "",
			     quarter ? "Kvartaler" : "Hele år");
			open = quarter ? 1 : 2;
		}
		dr_period_words(m->periods[i], words, sizeof(words));
		rc |= option(b, m->periods[i], words, m->period);
	}
	PUTF(b, "%s</select></div>", open ? "</optgroup>" : "");
	return rc ? FR_ETOOBIG : 0;
}

static int code_select(struct fr_buf *b, const char *id, const char *name,
		       const char *label, const char *all,
		       const struct dr_label *l, int n, const char *current)
{
	int rc = 0;

	PUTF(b, "<div class=\"filter\"><label for=\"%s\">%s</label><select "
		"id=\"%s\" name=\"%s\">",
	     id, label, id, name);
	rc |= option(b, "", all, current);
	for (int i = 0; i < n; i++)
		rc |= option(b, l[i].code, l[i].name, current);
	PUT(b, "</select></div>");
	return rc ? FR_ETOOBIG : 0;
}

static int filters(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;

	PUT(b, "<form method=\"get\" action=\"/dashboard\" class=\"filters\" "
	       "aria-label=\"Vælg tallene\">");
	rc |= period_select(b, m);
	rc |= code_select(b, "f-department", "department", "Afdeling",
			  "Alle afdelinger", m->deps, m->ndeps, m->department);
	rc |= code_select(b, "f-target-group", "target_group", "Målgruppe",
			  "Alle målgrupper", m->tgs, m->ntgs, m->target_group);
	PUT(b, "<div class=\"filter go\"><button type=\"submit\" class=\"btn\">"
	       "Vis tallene</button></div></form>");
	return rc ? FR_ETOOBIG : 0;
}

static const char *label_of(const struct dr_label *l, int n,
			    const char *code, const char *all)
{
	if (code == NULL)
		return all;
	for (int i = 0; i < n; i++)
		if (strcmp(l[i].code, code) == 0)
			return l[i].name;
	return code;
}

/* The query of the figures shown, for the CSV link. */
static int query_of(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;

	PUT(b, "period=");
	ESC(b, m->period);
	if (m->department) {
		PUT(b, "&amp;department=");
		ESC(b, m->department);
	}
	if (m->target_group) {
		PUT(b, "&amp;target_group=");
		ESC(b, m->target_group);
	}
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* The page */

static int heading(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;
	char words[32];

	dr_period_words(m->period, words, sizeof(words));
	PUT(b, "<h1 id=\"h\" tabindex=\"-1\">Ledelsens tal for ");
	ESC(b, words);
	PUT(b, "</h1><p class=\"sub\">");
	ESC(b, label_of(m->deps, m->ndeps, m->department, "Alle afdelinger"));
	PUT(b, " · ");
	ESC(b, label_of(m->tgs, m->ntgs, m->target_group, "Alle målgrupper"));
	if (m->prot.as_of) {
		PUT(b, ". Tallene er fra ");
		ESC(b, m->prot.as_of);
	}
	PUT(b, ".</p>");
	return rc ? FR_ETOOBIG : 0;
}

static int actions(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;

	PUT(b, "<p class=\"actions\"><a class=\"btn2\" href=\"/dashboard/csv?");
	rc |= query_of(b, m);
	PUT(b, "\" download>Hent tallene til Excel (CSV)</a><button "
	       "type=\"button\" class=\"btn2\" data-print hidden>Udskriv"
	       "</button></p>");
	return rc ? FR_ETOOBIG : 0;
}

/* One plain sentence on protection, with its size (docs/dashboard.md). */
static int protection(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;

	PUTF(b, "<section class=\"note\" id=\"beskyttelse\" aria-labelledby="
		"\"beskyttelse-h\"><h2 id=\"beskyttelse-h\">Om tallene</h2>"
		"<p>Alle tal er <strong>beskyttede</strong>, så ingen kan regne "
		"sig frem til en enkelt borger: hvert antal er flyttet lidt op "
		"eller ned, typisk %d og aldrig mere end %d, og tal under %d "
		"vises som <span class=\"prot\">færre end %d</span>. En andel "
		"vises kun, når mindst %d har udfaldet og mindst %d ikke har "
		"det; ellers står der <span class=\"prot\">skjult</span>. "
		"Små ændringer kan derfor skyldes beskyttelsen.</p></section>",
	     (int)lround(m->prot.noise_sd), m->prot.noise_max,
	     m->prot.min_cell, m->prot.min_cell, m->prot.min_cell,
	     m->prot.min_cell);
	return rc ? FR_ETOOBIG : 0;
}

static int headline_row(struct fr_buf *b, const struct dr_model *m)
{
	int rc = 0;
	char lines[4][256], prev[32];
	int n = dr_headlines(m, lines, 4);

	PUT(b, "<section id=\"skift\" aria-labelledby=\"skift-h\">");
	if (m->previous == NULL) {
		PUT(b, "<h2 id=\"skift-h\">Største ændringer</h2><p>Der er ingen "
		       "tidligere periode at sammenligne med.</p></section>");
		return rc ? FR_ETOOBIG : 0;
	}
	dr_period_words(m->previous, prev, sizeof(prev));
	PUT(b, "<h2 id=\"skift-h\">Største ændringer siden ");
	ESC(b, prev);
	PUT(b, "</h2>");
	if (n == 0)
		PUT(b, "<p>Ingen tal har ændret sig mere, end beskyttelsen og "
		       "tilfældigheder kan forklare (mindst 5 procentpoint eller "
		       "10 %).</p>");
	else
		PUT(b, "<ul class=\"headline\">");
	for (int i = 0; i < n; i++) {
		PUT(b, "<li>");
		ESC(b, lines[i]);
		PUT(b, "</li>");
	}
	PUTF(b, "%s</section>", n ? "</ul>" : "");
	return rc ? FR_ETOOBIG : 0;
}

static int contents(struct fr_buf *b)
{
	int rc = 0;

	PUT(b, "<nav class=\"toc\" aria-label=\"Indhold\"><ul>");
	for (int i = 0; i < DT_NSECTIONS; i++)
		PUTF(b, "<li><a href=\"#%s\">%s</a></li>", dt_sections[i].id,
		     dt_sections[i].title);
	PUT(b, "<li><a href=\"#udfald\">" DV_TITLE "</a></li></ul></nav>");
	return rc ? FR_ETOOBIG : 0;
}

int dt_table_open(struct fr_buf *b, const char *id, const char *caption,
		  const char *rowhead, const char *const *heads, int n)
{
	int rc = 0;

	PUTF(b, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
		"aria-labelledby=\"%s-c\"><table id=\"%s-tabel\"><caption "
		"id=\"%s-c\">%s</caption><thead><tr><th scope=\"col\">%s"
		"</th>",
	     id, id, id, caption, rowhead);
	for (int c = 0; c < n; c++)
		PUTF(b, "<th scope=\"col\">%s</th>", heads[c]);
	PUT(b, "</tr></thead><tbody>");
	return rc ? FR_ETOOBIG : 0;
}

int dt_row_open(struct fr_buf *b, const char *key, const char *label)
{
	int rc = 0;

	PUT(b, "<tr data-key=\"");
	ESC(b, key);
	PUT(b, "\"><th scope=\"row\">");
	ESC(b, label);
	PUT(b, "</th>");
	return rc ? FR_ETOOBIG : 0;
}

static int table(struct fr_buf *b, const struct dt_table *t, int min_cell)
{
	const struct dt_section *s = t->s;
	const char *heads[DT_MAX_COLS];
	char caption[160];
	int rc = 0;

	for (int c = 0; c < s->ncols; c++)
		heads[c] = s->cols[c].head;
	snprintf(caption, sizeof(caption), "%s i tal", s->title);
	rc |= dt_table_open(b, s->id, caption, s->rowhead, heads, s->ncols);
	for (int r = 0; r < t->nrows; r++) {
		rc |= dt_row_open(b, t->row[r].key, t->row[r].label);
		for (int c = 0; c < s->ncols; c++) {
			char text[64];

			dt_cell_text(t, r, c, min_cell, text, sizeof(text));
			PUTF(b, "<td%s>%s</td>",
			     t->row[r].has && isnan(t->row[r].val[c])
				     ? " class=\"prot\""
				     : "",
			     text);
		}
		PUT(b, "</tr>");
	}
	PUT(b, "</tbody></table></div>");
	return rc ? FR_ETOOBIG : 0;
}

static int section(struct fr_buf *b, const struct dr_model *m, int i)
{
	const struct dt_section *s = &dt_sections[i];
	struct dt_table t;
	int rc = 0;

	dt_build(m, i, &t);
	PUTF(b, "<section id=\"%s\" aria-labelledby=\"%s-h\"><h2 id=\"%s-h\">"
		"%s</h2><p>%s</p>",
	     s->id, s->id, s->id, s->title, s->intro);
	if (t.nrows == 0)
		PUT(b, "<p>Der er ingen tal for perioden.</p>");
	else {
		/* a table of more than two figures stands under its chart */
		PUTF(b, "<div class=\"pair%s\">", s->ncols > 2 ? " stack" : "");
		rc |= dt_chart(b, &t, m->prot.min_cell);
		rc |= table(b, &t, m->prot.min_cell);
		PUT(b, "</div>");
	}
	PUT(b, "</section>");
	return rc ? FR_ETOOBIG : 0;
}

int dr_page(struct fr_buf *b, const struct dr_ctx *c,
	    const struct dr_model *m)
{
	char title[160], words[32];
	int rc;

	dr_period_words(m->period, words, sizeof(words));
	snprintf(title, sizeof(title), "Ledelsens tal · %s · %s", words,
		 label_of(m->deps, m->ndeps, m->department, "Alle afdelinger"));
	rc = page_start(b, c, title);
	rc |= top_bar(b, c, 1);
	rc |= fr_buf_append(b, "<main class=\"wide\">", 19);
	rc |= heading(b, m);
	rc |= filters(b, m);
	rc |= actions(b, m);
	rc |= protection(b, m);
	if (m->dropped)
		rc |= fr_buf_printf(b, "<div class=\"error\" role=\"alert\"><p>"
				       "%d tal kunne ikke vises, fordi en figur "
				       "har flere end %d kategorier. Sig det "
				       "til jeres it-afdeling.</p></div>",
				    m->dropped, DR_MAX_KEYS);
	rc |= headline_row(b, m);
	rc |= contents(b);
	for (int i = 0; i < DT_NSECTIONS; i++)
		rc |= section(b, m, i);
	rc |= dr_validity_section(b, m);
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}
