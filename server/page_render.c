/*
 * HTML of the citizen's and the consultant's pages (page_render.h). Pure:
 * no libuv, no libpq, so it is unit-tested on its own.
 *
 * The pages are meant for people who stop at the first confusing screen,
 * on old phones and slow plans: one thing per screen, short plain words,
 * every answer spelled out, lean markup (the first question's page with
 * its assets stays far under 60 KB), and no inline script or style, so the
 * Content-Security-Policy can forbid both.
 */
#include "fremdrift/page_render.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every UI string in Danish and English. */
enum s_id {
	S_SKIP_LINK, S_SKIP, S_NEXT, S_BACK, S_SEND, S_START, S_CONTINUE,
	S_SAVED_AS_YOU_GO,
	S_AUTO_NEXT, S_LAST_LOOK, S_LAST_LOOK_INTRO, S_FIX, S_NOT_ANSWERED,
	S_SKIPPED, S_GOALS_TITLE, S_GOALS_INTRO, S_WEIGHT, S_LEVEL,
	S_NOT_CHOSEN, S_NO_LEVEL, S_GOAL_NONE, S_PROGRESS, S_PROGRESS_K,
	S_IMPROVED, S_UNCHANGED, S_WORSE, S_FIRST, S_IMPROVED_K,
	S_UNCHANGED_K, S_WORSE_K, S_FIRST_K, S_TABLE_CAPTION, S_DATE,
	S_POINTS, S_NO_SCORE, S_GOALS_REACHED, S_GOALS_REACHED_K,
	S_NONE_YET, S_ENCOURAGE, S_NO_ROUNDS, S_OWN_ROUNDS, S_JOB_CHANCE,
	S_GOALS_SET, S_TOTAL
};

static const char *const S[S_TOTAL][2] = {
	[S_SKIP_LINK] = {"Gå til indholdet", "Skip to content"},
	[S_SKIP] = {"Spring over", "Skip"},
	[S_NEXT] = {"Næste", "Next"},
	[S_BACK] = {"Tilbage", "Back"},
	[S_SEND] = {"Send svar", "Send answers"},
	[S_START] = {"Start", "Start"},
	[S_CONTINUE] = {"Fortsæt", "Continue"},
	[S_SAVED_AS_YOU_GO] =
		{"Dine svar bliver gemt, mens du svarer. Du kan holde pause "
		 "og komme tilbage med det samme link.",
		 "Your answers are saved as you go. You can take a break and "
		 "come back with the same link."},
	[S_AUTO_NEXT] =
		{"Når du trykker på et svar, går siden selv videre til næste "
		 "spørgsmål. Du kan altid gå tilbage.",
		 "When you tap an answer, the page moves on to the next "
		 "question by itself. You can always go back."},
	[S_LAST_LOOK] = {"Et sidste kig", "One last look"},
	[S_LAST_LOOK_INTRO] =
		{"Her er dine svar. Du kan rette dem, før du sender.",
		 "Here are your answers. You can change them before you "
		 "send."},
	[S_FIX] = {"Ret", "Change"},
	[S_NOT_ANSWERED] = {"Ikke besvaret", "Not answered"},
	[S_SKIPPED] = {"Sprunget over", "Skipped"},
	[S_GOALS_TITLE] = {"Delmål", "Sub-goals"},
	[S_GOALS_INTRO] =
		{"Vælg de delmål, I arbejder med, og hvor vigtige de er. "
		 "Vurdér så, hvor langt borgeren er nået.",
		 "Choose the sub-goals you work on and how important they "
		 "are. Then rate how far the citizen has come."},
	[S_WEIGHT] = {"Hvor vigtigt?", "How important?"},
	[S_LEVEL] = {"Hvor langt er borgeren nået?",
		     "How far has the citizen come?"},
	[S_NOT_CHOSEN] = {"Ikke valgt", "Not chosen"},
	[S_NO_LEVEL] = {"Ikke vurderet", "Not rated"},
	[S_GOAL_NONE] = {"Ingen delmål valgt", "No sub-goals chosen"},
	[S_PROGRESS] = {"Din udvikling", "Your progress"},
	[S_PROGRESS_K] = {"Borgerens udvikling", "The citizen's progress"},
	[S_IMPROVED] = {"Du er gået tydeligt frem.",
			"You have clearly moved forward."},
	[S_UNCHANGED] = {"Omtrent som sidst.", "About the same as last time."},
	[S_WORSE] = {"Det har været lidt tungere end første gang. Det sker "
		     "for mange. Tal gerne med din konsulent om det.",
		     "Things have been a bit harder than the first time. That "
		     "happens to many people. Do talk to your consultant "
		     "about it."},
	[S_FIRST] = {"Det her er dit udgangspunkt.",
		     "This is where you are starting from."},
	[S_IMPROVED_K] = {"Borgeren er gået tydeligt frem.",
			  "The citizen has clearly moved forward."},
	[S_UNCHANGED_K] = {"Omtrent som sidst.",
			   "About the same as last time."},
	[S_WORSE_K] = {"Tydeligt tungere end ved første måling.",
		       "Clearly harder than at the first measurement."},
	[S_FIRST_K] = {"Første måling.", "First measurement."},
	[S_TABLE_CAPTION] = {"Point fra 0 til 100 ved hver runde",
			     "Points from 0 to 100 at each round"},
	[S_DATE] = {"Dato", "Date"},
	[S_POINTS] = {"Point", "Points"},
	[S_NO_SCORE] = {"for få svar", "too few answers"},
	[S_GOALS_REACHED] = {"Delmål, du har nået", "Sub-goals you have reached"},
	[S_GOALS_REACHED_K] = {"Delmål, borgeren har nået",
			       "Sub-goals the citizen has reached"},
	[S_NONE_YET] = {"Ingen endnu. Det kommer.", "None yet. They will come."},
	[S_ENCOURAGE] = {"Godt gået, at du har svaret. Hvert lille skridt "
			 "tæller.",
			 "Well done for answering. Every small step counts."},
	[S_NO_ROUNDS] = {"Der er ingen svar endnu.", "There are no answers yet."},
	[S_OWN_ROUNDS] = {"Dine egne vurderinger", "Your own ratings"},
	[S_JOB_CHANCE] = {"Tro på jobchancen", "Belief in the job chance"},
	[S_GOALS_SET] = {"Delmål", "Sub-goals"},
};

#define T(c, id) (S[id][(c)->lang])

/* Goal Attainment Scaling: every level and weight in words. */
static const char *const gas_level[5][2] = {
	{"Meget mindre end forventet", "Much less than expected"},
	{"Mindre end forventet", "Less than expected"},
	{"Som forventet", "As expected"},
	{"Mere end forventet", "More than expected"},
	{"Meget mere end forventet", "Much more than expected"},
};
static const char *const gas_weight[3][2] = {
	{"Lidt vigtigt", "A little important"},
	{"Vigtigt", "Important"},
	{"Meget vigtigt", "Very important"},
};

/* Messages: title and text. */
static const char *const msg_text[PR_MSG_COUNT][2][2] = {
	[PR_MSG_ROOT] = {{"Brug det link, du har fået",
			  "Du kommer til spørgeskemaet med det link, du har "
			  "fået fra din konsulent. Har du ikke et link, så "
			  "spørg din konsulent."},
			 {"Use the link you were given",
			  "You reach the questionnaire with the link your "
			  "consultant gave you. If you have no link, ask your "
			  "consultant."}},
	[PR_MSG_USED] = {{"Tak, du har allerede svaret",
			  "Dine svar er gemt. Du kan se din udvikling."},
			 {"Thank you, you have already answered",
			  "Your answers are saved. You can see your "
			  "progress."}},
	[PR_MSG_GONE] = {{"Linket virker ikke længere",
			  "Linket virker ikke længere. Kontakt din konsulent, "
			  "så får du et nyt."},
			 {"The link no longer works",
			  "The link no longer works. Contact your consultant, "
			  "and you will get a new one."}},
	[PR_MSG_SLOW_DOWN] = {{"Vent lidt",
			       "Der har været for mange forsøg. Vent 10 "
			       "minutter, og prøv så igen."},
			      {"Please wait a little",
			       "There have been too many attempts. Wait 10 "
			       "minutes, then try again."}},
	[PR_MSG_FORBIDDEN] = {{"Det kunne ikke gemmes",
			       "Siden var for gammel, eller den kom fra et "
			       "andet sted. Gå tilbage til linket, og prøv "
			       "igen."},
			      {"That could not be saved",
			       "The page was too old, or it came from "
			       "somewhere else. Go back to the link and try "
			       "again."}},
	[PR_MSG_NOT_FOUND] = {{"Siden findes ikke",
			       "Den side findes ikke. Gå tilbage til "
			       "linket."},
			      {"The page does not exist",
			       "That page does not exist. Go back to the "
			       "link."}},
	[PR_MSG_ERROR] = {{"Det virker ikke lige nu",
			   "Noget gik galt hos os. Dine svar er ikke væk. "
			   "Prøv igen om lidt."},
			  {"It does not work right now",
			   "Something went wrong on our side. Your answers "
			   "are not lost. Try again in a little while."}},
};

/* Appends with the buffer's error made sticky: every append of a page is
 * checked once, at the end. */
#define PUT(b, s) (rc |= fr_buf_append((b), (s), strlen(s)))
#define PUTF(b, ...) (rc |= fr_buf_printf((b), __VA_ARGS__))
#define ESC(b, s) (rc |= pr_escape((b), (s)))

int pr_escape(struct fr_buf *b, const char *s)
{
	const char *run = s;
	int rc = 0;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		rc |= fr_buf_append(b, run, (size_t)(s - run));
		rc |= fr_buf_append(b, rep, strlen(rep));
		run = s + 1;
	}
	rc |= fr_buf_append(b, run, (size_t)(s - run));
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* Language */

/* The q of one Accept-Language element (after the tag), 1 if none. */
static double accept_q(const char *p, const char *end)
{
	const char *q = strstr(p, "q=");

	if (q == NULL || q >= end)
		return 1.0;
	return strtod(q + 2, NULL);
}

enum pr_lang pr_lang_pick(const char *h)
{
	double da = 0, en = 0;

	while (h && *h) {
		const char *end = strchr(h, ',');
		size_t tag;
		double q;

		if (end == NULL)
			end = h + strlen(h);
		while (*h == ' ')
			h++;
		tag = strcspn(h, ";, ");
		q = accept_q(h, end);
		if (tag >= 2 && strncasecmp(h, "da", 2) == 0 &&
		    (tag == 2 || h[2] == '-') && q > da)
			da = q;
		else if (tag >= 2 && strncasecmp(h, "en", 2) == 0 &&
			 (tag == 2 || h[2] == '-') && q > en)
			en = q;
		h = *end ? end + 1 : end;
	}
	return en > da ? PR_EN : PR_DA;
}

/* ------------------------------------------------------------------ */
/* Definitions */

static int two_texts(json_t *o, const char **out)
{
	out[0] = json_string_value(json_object_get(o, "da"));
	out[1] = json_string_value(json_object_get(o, "en"));
	return out[0] && out[1] ? 0 : -1;
}

static int five_words(json_t *labels, struct pr_words *w)
{
	for (int l = 0; l < 2; l++) {
		json_t *a = json_object_get(labels, l ? "en" : "da");

		if (json_array_size(a) != 5)
			return -1;
		for (int i = 0; i < 5; i++) {
			w->w[l][i] = json_string_value(json_array_get(a, i));
			if (w->w[l][i] == NULL)
				return -1;
		}
	}
	return 0;
}

static int find_dim(const struct pr_instr *ins, const char *id)
{
	for (int d = 0; d < ins->ndims; d++)
		if (id && strcmp(ins->dims[d].id, id) == 0)
			return d;
	return -1;
}

static int parse_dims(json_t *root, struct pr_instr *ins)
{
	json_t *dims = json_object_get(root, "dimensions");
	size_t i;
	json_t *d;

	if (!json_is_array(dims) || json_array_size(dims) > INSTR_MAX_DIMS)
		return -1;
	json_array_foreach(dims, i, d) {
		struct pr_dim *pd = &ins->dims[ins->ndims++];

		pd->id = json_string_value(json_object_get(d, "id"));
		pd->prior_alpha =
			json_number_value(json_object_get(d, "prior_alpha"));
		pd->first_item = -1;
		if (pd->id == NULL ||
		    two_texts(json_object_get(d, "name"), pd->name) != 0)
			return -1;
	}
	return 0;
}

/* One item; its dimension's items must follow each other. */
static int parse_item(json_t *it, struct pr_instr *ins)
{
	int k = ins->nitems;
	struct pr_item *pi = &ins->items[k];
	json_t *labels = json_object_get(it, "labels");
	struct pr_dim *pd;

	pi->id = json_string_value(json_object_get(it, "id"));
	pi->dim = find_dim(ins,
			   json_string_value(json_object_get(it, "dimension")));
	pi->subgoal = json_string_value(json_object_get(it, "subgoal"));
	pi->labels = &ins->scale;
	if (pi->id == NULL || pi->dim < 0 ||
	    two_texts(json_object_get(it, "text"), pi->text) != 0)
		return -1;
	if (labels != NULL) {
		if (five_words(labels, &ins->item_labels[k]) != 0)
			return -1;
		pi->labels = &ins->item_labels[k];
	}
	pd = &ins->dims[pi->dim];
	if (pd->first_item < 0)
		pd->first_item = k;
	else if (pd->first_item + pd->nitems != k)
		return -1;
	pd->nitems++;
	ins->nitems++;
	return 0;
}

static int parse_subgoals(json_t *root, struct pr_instr *ins)
{
	json_t *a = json_object_get(root, "subgoals");
	size_t i;
	json_t *g;

	if (json_array_size(a) > INSTR_MAX_SUBGOALS)
		return -1;
	json_array_foreach(a, i, g) {
		struct pr_subgoal *s = &ins->subgoals[ins->nsubgoals++];

		s->id = json_string_value(json_object_get(g, "id"));
		s->dim = find_dim(ins, json_string_value(
					       json_object_get(g, "dimension")));
		s->threshold =
			json_number_value(json_object_get(g, "threshold"));
		if (s->id == NULL || s->dim < 0)
			return -1;
	}
	return 0;
}

static int parse_head(json_t *root, struct pr_instr *ins)
{
	const char *resp = json_string_value(json_object_get(root,
							     "respondent"));

	ins->name = json_string_value(json_object_get(root, "instrument"));
	ins->version = (int)json_integer_value(json_object_get(root,
								"version"));
	ins->respondent = resp && strcmp(resp, "consultant") == 0 ? 'k' : 'c';
	if (ins->name == NULL || resp == NULL ||
	    two_texts(json_object_get(root, "title"), ins->title) != 0 ||
	    two_texts(json_object_get(root, "intro"), ins->intro) != 0)
		return -1;
	return five_words(json_object_get(json_object_get(root, "scale"),
					  "labels"),
			  &ins->scale);
}

int pr_instr_parse(const char *json, size_t len, struct pr_instr *out,
		   struct fr_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	json_t *items, *it;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return fr_err_set(err, FR_EPARSE, NULL, "definition: %s",
				  jerr.text);
	out->doc = root;
	items = json_object_get(root, "items");
	if (parse_head(root, out) != 0 || parse_dims(root, out) != 0 ||
	    !json_is_array(items) || json_array_size(items) > INSTR_MAX_ITEMS)
		goto fail;
	json_array_foreach(items, i, it)
		if (parse_item(it, out) != 0)
			goto fail;
	if (parse_subgoals(root, out) != 0)
		goto fail;
	return 0;
fail:
	pr_instr_free(out);
	return fr_err_set(err, FR_EPARSE, NULL,
			  "definition: a title, text, dimension, item or "
			  "sub-goal is missing or out of order");
}

void pr_instr_free(struct pr_instr *ins)
{
	json_decref(ins->doc);
	ins->doc = NULL;
}

/* ------------------------------------------------------------------ */
/* Drafts */

void pr_draft_init(struct pr_draft *d)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < INSTR_MAX_ITEMS; i++)
		d->answers[i] = INSTR_NULL;
}

int pr_draft_goal(const struct pr_draft *d, const char *code)
{
	for (int g = 0; g < d->ngoals; g++)
		if (strcmp(d->goals[g].code, code) == 0)
			return g;
	return -1;
}

static void draft_answers(const struct pr_instr *ins, json_t *a,
			  struct pr_draft *d)
{
	const char *key;
	json_t *v;

	json_object_foreach(a, key, v) {
		for (int i = 0; i < ins->nitems; i++) {
			json_int_t x = json_integer_value(v);

			if (strcmp(ins->items[i].id, key) == 0 &&
			    json_is_integer(v) && x >= 0 && x <= 5)
				d->answers[i] = (int16_t)x;
		}
	}
}

static void draft_goals(json_t *a, struct pr_draft *d)
{
	const char *key;
	json_t *v;

	json_object_foreach(a, key, v) {
		json_int_t w = json_integer_value(json_object_get(v, "weight"));
		json_t *lv = json_object_get(v, "level");
		json_int_t l = json_integer_value(lv);

		if (d->ngoals == PR_MAX_GOALS || w < 1 || w > 3 ||
		    strlen(key) >= INSTR_ID_MAX)
			continue;
		strcpy(d->goals[d->ngoals].code, key);
		d->goals[d->ngoals].weight = (int)w;
		d->goals[d->ngoals].level =
			json_is_integer(lv) && l >= -2 && l <= 2 ? (int)l
								 : PR_NO_LEVEL;
		d->ngoals++;
	}
}

void pr_draft_read(const struct pr_instr *ins, const json_t *draft,
		   struct pr_draft *d)
{
	json_t *root = (json_t *)draft; /* jansson's getters take no const */
	json_int_t jc;

	pr_draft_init(d);
	if (!json_is_object(root))
		return;
	draft_answers(ins, json_object_get(root, "answers"), d);
	draft_goals(json_object_get(root, "goals"), d);
	jc = json_integer_value(json_object_get(root, "job_chance"));
	d->job_chance = jc >= 1 && jc <= 5 ? (int)jc : 0;
}

int pr_draft_empty(const struct pr_draft *d)
{
	for (int i = 0; i < INSTR_MAX_ITEMS; i++)
		if (d->answers[i] != INSTR_NULL)
			return 0;
	return d->ngoals == 0 && d->job_chance == 0;
}

/* ------------------------------------------------------------------ */
/* Screens */

int pr_screens(const struct pr_instr *ins)
{
	return ins->respondent == 'k' ? ins->ndims + 1 : ins->nitems;
}

void pr_screen_items(const struct pr_instr *ins, int n, int *first,
		     int *count)
{
	*first = 0;
	*count = 0;
	if (n < 1 || n > pr_screens(ins))
		return;
	if (ins->respondent != 'k') {
		*first = n - 1;
		*count = 1;
	} else if (n <= ins->ndims) {
		*first = ins->dims[n - 1].first_item;
		*count = ins->dims[n - 1].nitems;
	}
}

int pr_first_open(const struct pr_instr *ins, const struct pr_draft *d)
{
	int n = pr_screens(ins);

	for (int s = 1; s <= n; s++) {
		int first, count;

		pr_screen_items(ins, s, &first, &count);
		for (int i = first; i < first + count; i++)
			if (d->answers[i] == INSTR_NULL)
				return s;
		if (count == 0 && d->ngoals == 0)
			return s;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Page frame */

static int page_start(struct fr_buf *b, const struct pr_ctx *c,
		      const char *title)
{
	int rc = 0;

	PUTF(b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8"
		"\"><meta name=\"viewport\" content=\"width=device-width,"
		"initial-scale=1\"><title>",
	     c->lang == PR_EN ? "en" : "da");
	ESC(b, title);
	PUT(b, "</title><link rel=\"stylesheet\" href=\"");
	ESC(b, c->css);
	PUT(b, "\"><script src=\"");
	ESC(b, c->js);
	PUTF(b, "\" defer></script></head><body><a class=\"skip\" href=\"#h\">"
		"%s</a><main>",
	     T(c, S_SKIP_LINK));
	return rc ? FR_ETOOBIG : 0;
}

static int page_end(struct fr_buf *b)
{
	return fr_buf_append(b, "</main></body></html>\n", 22);
}

/* The one h1 of a page; the skip link and the script's focus go to it. */
static int h1(struct fr_buf *b, const char *text)
{
	int rc = 0;

	PUT(b, "<h1 id=\"h\" tabindex=\"-1\">");
	ESC(b, text);
	PUT(b, "</h1>");
	return rc ? FR_ETOOBIG : 0;
}

static int para(struct fr_buf *b, const char *text)
{
	int rc = 0;

	PUT(b, "<p>");
	ESC(b, text);
	PUT(b, "</p>");
	return rc ? FR_ETOOBIG : 0;
}

static int form_start(struct fr_buf *b, const struct pr_ctx *c,
		      const char *action, const char *cls)
{
	int rc = 0;

	PUTF(b, "<form method=\"post\" class=\"%s\" action=\"", cls);
	ESC(b, c->base);
	PUTF(b, "%s\"><input type=\"hidden\" name=\"csrf\" value=\"", action);
	ESC(b, c->csrf);
	PUT(b, "\">");
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* Welcome, screens, review */

int pr_welcome(struct fr_buf *b, const struct pr_ctx *c)
{
	const struct pr_instr *ins = c->ins;
	int open = pr_first_open(ins, c->draft);
	int fresh = pr_draft_empty(c->draft);
	int rc = page_start(b, c, ins->title[c->lang]);

	rc |= h1(b, ins->title[c->lang]);
	rc |= para(b, ins->intro[c->lang]);
	PUT(b, "<p>");
	/* About 12 seconds a question, rounded up to whole minutes. */
	PUTF(b, c->lang == PR_EN ? "There are %d questions. It takes about %d "
				   "minutes."
				 : "Der er %d spørgsmål. Det tager cirka %d "
				   "minutter.",
	     ins->nitems, ins->nitems / 5 + 1);
	PUT(b, "</p>");
	rc |= para(b, T(c, S_SAVED_AS_YOU_GO));
	/* Moving on by itself is a change of context on input (WCAG 3.2.2):
	 * said before it happens. Only app.js moves on, so only app.js
	 * shows this. */
	if (ins->respondent != 'k')
		PUTF(b, "<p id=\"auto\" hidden>%s</p>", T(c, S_AUTO_NEXT));
	PUT(b, "<p><a class=\"btn\" href=\"");
	ESC(b, c->base);
	if (open > 0)
		PUTF(b, "/q/%d\">%s</a></p>", open,
		     T(c, fresh ? S_START : S_CONTINUE));
	else
		PUTF(b, "/se\">%s</a></p>", T(c, S_CONTINUE));
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

/* One item as a fieldset: the question as legend, five words and skip. */
static int item_fieldset(struct fr_buf *b, const struct pr_ctx *c, int i)
{
	const struct pr_item *it = &c->ins->items[i];
	int have = c->draft->answers[i];
	int rc = 0;

	PUT(b, "<fieldset><legend>");
	ESC(b, it->text[c->lang]);
	PUT(b, "</legend>");
	for (int v = 1; v <= 6; v++) {
		int val = v == 6 ? 0 : v;
		const char *word = v == 6 ? T(c, S_SKIP)
					  : it->labels->w[c->lang][v - 1];

		PUTF(b, "<label%s><input type=\"radio\" name=\"%s\" "
			"value=\"%d\"%s> ",
		     v == 6 ? " class=\"skip-item\"" : "", it->id, val,
		     have == val ? " checked" : "");
		ESC(b, word);
		PUT(b, "</label>");
	}
	PUT(b, "</fieldset>");
	return rc ? FR_ETOOBIG : 0;
}

/* A radio with its words inside its label. */
static int radio(struct fr_buf *b, const char *name, int value, int checked,
		 const char *word)
{
	int rc = 0;

	PUTF(b, "<label><input type=\"radio\" name=\"%s\" value=\"%d\"%s> ",
	     name, value, checked ? " checked" : "");
	ESC(b, word);
	PUT(b, "</label>");
	return rc ? FR_ETOOBIG : 0;
}

/* One sub-goal: its weight (0 not chosen) and its level in words. */
static int goal_fieldset(struct fr_buf *b, const struct pr_ctx *c, int k)
{
	const char *code = c->goals->code[k];
	int g = pr_draft_goal(c->draft, code);
	int w = g >= 0 ? c->draft->goals[g].weight : 0;
	int l = g >= 0 ? c->draft->goals[g].level : PR_NO_LEVEL;
	char name[INSTR_ID_MAX + 2];
	int rc = 0;

	PUT(b, "<fieldset class=\"goal\"><legend>");
	ESC(b, c->goals->name[k][c->lang]);
	PUTF(b, "</legend><fieldset><legend>%s</legend>", T(c, S_WEIGHT));
	snprintf(name, sizeof(name), "w_%s", code);
	rc |= radio(b, name, 0, w == 0, T(c, S_NOT_CHOSEN));
	for (int v = 1; v <= 3; v++)
		rc |= radio(b, name, v, w == v, gas_weight[v - 1][c->lang]);
	PUTF(b, "</fieldset><fieldset><legend>%s</legend>", T(c, S_LEVEL));
	snprintf(name, sizeof(name), "l_%s", code);
	for (int v = -2; v <= 2; v++)
		rc |= radio(b, name, v, l == v, gas_level[v + 2][c->lang]);
	PUT(b, "</fieldset></fieldset>");
	return rc ? FR_ETOOBIG : 0;
}

static int step_heading(struct fr_buf *b, const struct pr_ctx *c, int n)
{
	char text[96];
	int total = pr_screens(c->ins);
	int rc;

	static const char *const what[2][2] = {{"Spørgsmål", "Question"},
					       {"Side", "Page"}};

	snprintf(text, sizeof(text), "%s %d %s %d",
		 what[c->ins->respondent == 'k'][c->lang], n,
		 c->lang == PR_EN ? "of" : "af", total);
	rc = h1(b, text);
	PUTF(b, "<progress max=\"%d\" value=\"%d\" aria-labelledby=\"h\">"
		"%d/%d</progress>",
	     total, n, n, total);
	return rc ? FR_ETOOBIG : 0;
}

int pr_screen(struct fr_buf *b, const struct pr_ctx *c, int n)
{
	char action[16];
	int first, count, rc;

	pr_screen_items(c->ins, n, &first, &count);
	rc = page_start(b, c, c->ins->title[c->lang]);
	rc |= step_heading(b, c, n);
	snprintf(action, sizeof(action), "/q/%d", n);
	rc |= form_start(b, c, action, "screen");
	for (int i = first; i < first + count; i++)
		rc |= item_fieldset(b, c, i);
	if (count == 0 && c->goals != NULL) {
		PUTF(b, "<h2>%s</h2>", T(c, S_GOALS_TITLE));
		rc |= para(b, T(c, S_GOALS_INTRO));
		for (int k = 0; k < c->goals->n; k++)
			rc |= goal_fieldset(b, c, k);
	}
	/* Næste first: Enter in a form presses its first button. */
	PUTF(b, "<div class=\"nav\"><button name=\"go\" value=\"next\" "
		"class=\"btn\">%s</button><button name=\"go\" value=\"back\" "
		"class=\"btn2\">%s</button></div></form>",
	     T(c, S_NEXT), T(c, S_BACK));
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

static const char *answer_word(const struct pr_ctx *c, int i)
{
	int a = c->draft->answers[i];

	if (a == INSTR_NULL)
		return T(c, S_NOT_ANSWERED);
	if (a == 0)
		return T(c, S_SKIPPED);
	return c->ins->items[i].labels->w[c->lang][a - 1];
}

static int fix_link(struct fr_buf *b, const struct pr_ctx *c, int screen)
{
	int rc = 0;

	PUT(b, "<a href=\"");
	ESC(b, c->base);
	PUTF(b, "/q/%d\">%s<span class=\"vh\"> ", screen, T(c, S_FIX));
	PUTF(b, c->lang == PR_EN ? "answer to question %d"
				 : "svar på spørgsmål %d",
	     screen);
	PUT(b, "</span></a>");
	return rc ? FR_ETOOBIG : 0;
}

static int review_goals(struct fr_buf *b, const struct pr_ctx *c)
{
	int rc = 0;

	PUTF(b, "<li><b>%s</b>: ", T(c, S_GOALS_TITLE));
	if (c->draft->ngoals == 0)
		PUT(b, T(c, S_GOAL_NONE));
	for (int g = 0; g < c->draft->ngoals; g++) {
		const char *name = c->draft->goals[g].code;
		int l = c->draft->goals[g].level;

		for (int k = 0; c->goals && k < c->goals->n; k++)
			if (strcmp(c->goals->code[k], name) == 0)
				name = c->goals->name[k][c->lang];
		PUT(b, g ? "; " : "");
		ESC(b, name);
		PUTF(b, " (%s, %s)",
		     gas_weight[c->draft->goals[g].weight - 1][c->lang],
		     l == PR_NO_LEVEL ? T(c, S_NO_LEVEL)
				      : gas_level[l + 2][c->lang]);
	}
	PUT(b, " ");
	rc |= fix_link(b, c, pr_screens(c->ins));
	PUT(b, "</li>");
	return rc ? FR_ETOOBIG : 0;
}

int pr_review(struct fr_buf *b, const struct pr_ctx *c)
{
	const struct pr_instr *ins = c->ins;
	int rc = page_start(b, c, T(c, S_LAST_LOOK));

	rc |= h1(b, T(c, S_LAST_LOOK));
	rc |= para(b, T(c, S_LAST_LOOK_INTRO));
	PUT(b, "<ol class=\"review\">");
	for (int i = 0; i < ins->nitems; i++) {
		int screen = ins->respondent == 'k' ? ins->items[i].dim + 1
						    : i + 1;

		PUT(b, "<li>");
		ESC(b, ins->items[i].text[c->lang]);
		PUT(b, " <b>");
		ESC(b, answer_word(c, i));
		PUT(b, "</b> ");
		rc |= fix_link(b, c, screen);
		PUT(b, "</li>");
	}
	if (ins->respondent == 'k')
		rc |= review_goals(b, c);
	PUT(b, "</ol>");
	rc |= form_start(b, c, "/send", "send");
	PUTF(b, "<div class=\"nav\"><button name=\"go\" value=\"send\" "
		"class=\"btn\">%s</button></div></form>",
	     T(c, S_SEND));
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

int pr_message(struct fr_buf *b, enum pr_lang lang, enum pr_msg m,
	       const char *base, const char *css, const char *js)
{
	struct pr_ctx c = {.lang = lang, .css = css, .js = js};
	int rc = page_start(b, &c, msg_text[m][lang][0]);

	rc |= h1(b, msg_text[m][lang][0]);
	rc |= para(b, msg_text[m][lang][1]);
	if (m == PR_MSG_ROOT)
		PUTF(b, "<p class=\"small\"><a href=\"/dashboard\">%s</a></p>",
		     lang == PR_EN ? "Leadership: the figures (in Danish)"
				   : "Ledelse: log ind til ledelsens tal");
	if (m == PR_MSG_USED && base) {
		PUT(b, "<p><a class=\"btn\" href=\"");
		ESC(b, base);
		PUTF(b, "/udvikling\">%s</a></p>", S[S_PROGRESS][lang]);
	}
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* Progress */

enum pr_change pr_reliable_change(double change, double sd, double alpha)
{
	double se, rci;

	if (!(sd > 0) || !(alpha < 1) || isnan(change))
		return PR_UNCHANGED;
	se = sd * sqrt(2.0) * sqrt(1.0 - alpha);
	rci = change / se;
	if (rci >= 1.96)
		return PR_IMPROVED;
	if (rci <= -1.96)
		return PR_WORSE;
	return PR_UNCHANGED;
}

enum pr_change pr_dim_change(const struct pr_history *h, int d)
{
	int first = -1, last = -1;

	for (int r = 0; r < h->nrounds; r++)
		if (h->rounds[r].present[d]) {
			if (first < 0)
				first = r;
			last = r;
		}
	if (first < 0 || first == last)
		return PR_FIRST;
	return pr_reliable_change(h->rounds[last].score[d] -
					  h->rounds[first].score[d],
				  h->sd[d], h->alpha[d]);
}

/* The dimension's scores as a small line chart; the table after it says
 * the same in text, so the picture is hidden from screen readers. */
static int chart(struct fr_buf *b, const struct pr_history *h, int d)
{
	int n = h->nrounds, k = 0, rc = 0;
	char pts[64 * 16]; /* at most 64 points of "ddd,ddd " */
	size_t used = 0;

	PUT(b, "<svg class=\"chart\" viewBox=\"0 0 320 120\" aria-hidden=\"true"
	       "\" focusable=\"false\"><path class=\"grid\" d=\"M30 10H310M30 "
	       "60H310M30 110H310\"/><text x=\"0\" y=\"14\">100</text><text "
	       "x=\"8\" y=\"64\">50</text><text x=\"16\" y=\"114\">0</text>");
	for (int r = 0; r < n && r < 64; r++) {
		double x, y;

		if (!h->rounds[r].present[d])
			continue;
		x = n == 1 ? 170 : 40 + 260.0 * r / (n - 1);
		y = 110 - h->rounds[r].score[d];
		used += (size_t)snprintf(pts + used, sizeof(pts) - used,
					 "%s%.0f,%.0f", k++ ? " " : "", x, y);
		PUTF(b, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\"/>", x, y);
	}
	if (k > 1)
		PUTF(b, "<polyline points=\"%s\"/>", pts);
	PUT(b, "</svg>");
	return rc ? FR_ETOOBIG : 0;
}

/* A date as people here write it: 3.12.2026, or 3 Dec 2026. */
static int date_words(struct fr_buf *b, enum pr_lang lang, const char *iso)
{
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec"};
	int y, m, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12)
		return pr_escape(b, iso);
	return lang == PR_EN ? fr_buf_printf(b, "%d %s %d", d, mon[m - 1], y)
			     : fr_buf_printf(b, "%d.%d.%d", d, m, y);
}

static int score_table(struct fr_buf *b, const struct pr_ctx *c,
		       const struct pr_history *h, int d)
{
	int rc = 0;

	PUTF(b, "<table><caption>%s</caption><thead><tr><th scope=\"col\">%s"
		"</th><th scope=\"col\">%s</th></tr></thead><tbody>",
	     T(c, S_TABLE_CAPTION), T(c, S_DATE), T(c, S_POINTS));
	for (int r = 0; r < h->nrounds; r++) {
		PUT(b, "<tr><th scope=\"row\">");
		rc |= date_words(b, c->lang, h->rounds[r].date);
		if (h->rounds[r].present[d])
			PUTF(b, "</th><td>%.0f</td></tr>",
			     h->rounds[r].score[d]);
		else
			PUTF(b, "</th><td>%s</td></tr>", T(c, S_NO_SCORE));
	}
	PUT(b, "</tbody></table>");
	return rc ? FR_ETOOBIG : 0;
}

static const enum s_id change_words[2][4] = {
	{S_UNCHANGED, S_IMPROVED, S_WORSE, S_FIRST},
	{S_UNCHANGED_K, S_IMPROVED_K, S_WORSE_K, S_FIRST_K},
};

static int history_dims(struct fr_buf *b, const struct pr_ctx *c,
			const struct pr_history *h, int third)
{
	int rc = 0;

	for (int d = 0; d < h->ins->ndims; d++) {
		enum pr_change ch = pr_dim_change(h, d);

		PUT(b, "<section class=\"dim\"><h2>");
		ESC(b, h->ins->dims[d].name[c->lang]);
		PUTF(b, "</h2><p class=\"change c%d\">%s</p>", (int)ch,
		     T(c, change_words[third][ch]));
		rc |= chart(b, h, d);
		rc |= score_table(b, c, h, d);
		PUT(b, "</section>");
	}
	return rc ? FR_ETOOBIG : 0;
}

/* The sub-goals whose dimension's latest score reaches the threshold. */
static int goals_reached(struct fr_buf *b, const struct pr_ctx *c,
			 const struct pr_history *h, int third)
{
	const struct pr_instr *ins = h->ins;
	const struct pr_round *last = &h->rounds[h->nrounds - 1];
	int rc = 0, any = 0;

	PUTF(b, "<h2>%s</h2><ul>",
	     T(c, third ? S_GOALS_REACHED_K : S_GOALS_REACHED));
	for (int g = 0; g < ins->nsubgoals; g++) {
		const struct pr_subgoal *s = &ins->subgoals[g];
		const char *name = s->id;

		if (!last->present[s->dim] ||
		    last->score[s->dim] < s->threshold)
			continue;
		for (int k = 0; c->goals && k < c->goals->n; k++)
			if (strcmp(c->goals->code[k], s->id) == 0)
				name = c->goals->name[k][c->lang];
		PUT(b, "<li>");
		ESC(b, name);
		PUT(b, "</li>");
		any = 1;
	}
	if (!any)
		PUTF(b, "<li>%s</li>", T(c, S_NONE_YET));
	PUT(b, "</ul>");
	return rc ? FR_ETOOBIG : 0;
}

int pr_progress(struct fr_buf *b, const struct pr_ctx *c,
		const struct pr_history *citizen, const struct pr_history *own)
{
	int third = c->ins->respondent == 'k';
	const char *title = T(c, third ? S_PROGRESS_K : S_PROGRESS);
	int rc = page_start(b, c, title);

	rc |= h1(b, title);
	if (citizen->nrounds == 0)
		rc |= para(b, T(c, S_NO_ROUNDS));
	else {
		rc |= history_dims(b, c, citizen, third);
		rc |= goals_reached(b, c, citizen, third);
	}
	if (own != NULL && own->nrounds > 0) {
		PUTF(b, "<h2>%s</h2>", T(c, S_OWN_ROUNDS));
		PUT(b, "<div class=\"own\">");
		rc |= history_dims(b, c, own, 1);
		PUT(b, "</div>");
	}
	if (!third)
		PUTF(b, "<p class=\"cheer\">%s</p>", T(c, S_ENCOURAGE));
	rc |= page_end(b);
	return rc ? FR_ETOOBIG : 0;
}

/* ------------------------------------------------------------------ */
/* Requests */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes n bytes of a form value into out. -1 when it does not fit. */
static int form_decode(const char *s, size_t n, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '+')
			ch = ' ';
		else if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			 hexval(s[i + 2]) >= 0) {
			ch = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (o + 1 >= outsize)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

int pr_form_get(const char *body, size_t len, const char *name, char *out,
		size_t outsize)
{
	size_t nlen = strlen(name);
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			return form_decode(p + nlen + 1,
					   (size_t)(stop - p) - nlen - 1, out,
					   outsize) == 0
				       ? 1
				       : -1;
		p = stop + 1;
	}
	return 0;
}
