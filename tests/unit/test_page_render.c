/*
 * The pages' HTML (server/page_render.c): escaping, the contract's markup
 * of a screen (docs/links.md), the language, the words of reliable change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "fremdrift/catalog.h"
#include "fremdrift/page_render.h"

static struct pr_instr borger, konsulent;

static int setup(void **state)
{
	struct fr_err err;

	(void)state;
	for (int i = 0; i < fr_instrument_sources_count; i++) {
		const char *t = fr_instrument_sources[i].text;
		struct pr_instr *to =
			strncmp(fr_instrument_sources[i].name, "borger", 6) == 0
				? &borger
				: &konsulent;

		if (pr_instr_parse(t, strlen(t), to, &err) != 0)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pr_instr_free(&borger);
	pr_instr_free(&konsulent);
	return 0;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void ctx(struct pr_ctx *c, const struct pr_instr *ins,
		const struct pr_draft *d, enum pr_lang lang)
{
	memset(c, 0, sizeof(*c));
	c->lang = lang;
	c->ins = ins;
	c->draft = d;
	c->base = "/l/AAAAAAAAAAAAAAAAAAAAAA";
	c->csrf = "0123456789abcdef";
	c->css = "/static/app.css?v=1";
	c->js = "/static/app.js?v=1";
}

static void test_escape(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 1024);
	assert_int_equal(pr_escape(&b, "<a href=\"x\">Tom & 'Jerry'</a>"), 0);
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
				    "&#39;Jerry&#39;&lt;/a&gt;");
	fr_buf_reset(&b);
	assert_int_equal(pr_escape(&b, "æøå plain"), 0);
	assert_string_equal(b.data, "æøå plain");
	fr_buf_free(&b);
	fr_buf_init(&b, 4);
	assert_int_equal(pr_escape(&b, "<<<<"), FR_ETOOBIG);
	fr_buf_free(&b);
}

static void test_lang(void **state)
{
	(void)state;
	assert_int_equal(pr_lang_pick(NULL), PR_DA);
	assert_int_equal(pr_lang_pick(""), PR_DA);
	assert_int_equal(pr_lang_pick("da-DK,da;q=0.9,en;q=0.8"), PR_DA);
	assert_int_equal(pr_lang_pick("en-US,en;q=0.9"), PR_EN);
	assert_int_equal(pr_lang_pick("en-GB,en;q=0.9,da;q=0.8"), PR_EN);
	assert_int_equal(pr_lang_pick("de-DE,en;q=0.5"), PR_EN);
	assert_int_equal(pr_lang_pick("ar,da;q=0.7,en;q=0.6"), PR_DA);
	assert_int_equal(pr_lang_pick("fr"), PR_DA);
	assert_int_equal(pr_lang_pick("eng"), PR_DA);
}

/* The HTML contract: a fieldset with the question as legend, radios 1..5
 * inside labels with the scale's words, 0 "Spring over", the buttons, a
 * progress element, one h1, a main, the csrf field. */
static void test_citizen_screen(void **state)
{
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	assert_int_equal(borger.nitems, 24);
	assert_int_equal(pr_screens(&borger), 24);
	pr_draft_init(&d);
	d.answers[2] = 4;
	ctx(&c, &borger, &d, PR_DA);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_screen(&b, &c, 3), 0);
	assert_non_null(strstr(b.data, "<html lang=\"da\">"));
	assert_int_equal(count(b.data, "<h1"), 1);
	assert_int_equal(count(b.data, "<main>"), 1);
	assert_int_equal(count(b.data, "<fieldset>"), 1);
	assert_non_null(strstr(b.data, "<legend>Jeg har lyst til at komme i "
				       "gang med noget nyt.</legend>"));
	assert_int_equal(count(b.data, "type=\"radio\" name=\"b03\""), 6);
	assert_non_null(strstr(b.data, "<label><input type=\"radio\" "
				       "name=\"b03\" value=\"1\"> Slet ikke"
				       "</label>"));
	assert_non_null(strstr(b.data, "value=\"4\" checked> Meget</label>"));
	assert_non_null(strstr(b.data, "value=\"0\"> Spring over</label>"));
	assert_non_null(strstr(b.data, ">Spørgsmål 3 af 24</h1>"));
	assert_non_null(strstr(b.data, "<progress max=\"24\" value=\"3\""));
	assert_non_null(strstr(b.data, "<button name=\"go\" value=\"next\""));
	assert_non_null(strstr(b.data, "<button name=\"go\" value=\"back\""));
	assert_non_null(strstr(b.data, ">Næste</button>"));
	assert_non_null(strstr(b.data, ">Tilbage</button>"));
	assert_non_null(strstr(b.data, "action=\"/l/AAAAAAAAAAAAAAAAAAAAAA/q/3"
				       "\""));
	assert_non_null(strstr(b.data, "name=\"csrf\" value=\"0123456789abcdef"
				       "\""));
	assert_null(strstr(b.data, "style="));
	assert_null(strstr(b.data, "<script>"));
	/* The first screen stays small (the page-weight budget). */
	assert_true(b.len < 4096);
	fr_buf_free(&b);
}

static void test_english(void **state)
{
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	pr_draft_init(&d);
	ctx(&c, &borger, &d, PR_EN);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_screen(&b, &c, 1), 0);
	assert_non_null(strstr(b.data, "<html lang=\"en\">"));
	assert_non_null(strstr(b.data, "Question 1 of 24"));
	assert_non_null(strstr(b.data, "> Not at all</label>"));
	assert_non_null(strstr(b.data, "> Skip</label>"));
	assert_non_null(strstr(b.data, ">Next</button>"));
	fr_buf_free(&b);
}

/* A draft from the links module: answers, then where to go on. */
static void test_draft_and_resume(void **state)
{
	json_t *j = json_loads("{\"answers\": {\"b01\": 3, \"b02\": 0, "
			       "\"b99\": 2, \"b03\": 7}}",
			       0, NULL);
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	pr_draft_read(&borger, j, &d);
	json_decref(j);
	assert_int_equal(d.answers[0], 3);
	assert_int_equal(d.answers[1], 0);
	assert_int_equal(d.answers[2], INSTR_NULL); /* 7 is no answer */
	assert_int_equal(pr_first_open(&borger, &d), 3);
	ctx(&c, &borger, &d, PR_DA);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_welcome(&b, &c), 0);
	assert_non_null(strstr(b.data, "/q/3\">Fortsæt</a>"));
	fr_buf_reset(&b);
	pr_draft_init(&d);
	assert_int_equal(pr_welcome(&b, &c), 0);
	assert_non_null(strstr(b.data, "/q/1\">Start</a>"));
	/* app.js shows it: a tap moves on (WCAG 3.2.2). */
	assert_non_null(strstr(b.data, "<p id=\"auto\" hidden>Når du trykker"));
	fr_buf_free(&b);
}

static void test_review(void **state)
{
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	pr_draft_init(&d);
	d.answers[0] = 5;
	d.answers[1] = 0;
	ctx(&c, &borger, &d, PR_DA);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_review(&b, &c), 0);
	assert_non_null(strstr(b.data, ">Et sidste kig</h1>"));
	assert_non_null(strstr(b.data, "<b>Helt</b>"));
	assert_non_null(strstr(b.data, "<b>Sprunget over</b>"));
	assert_int_equal(count(b.data, "<b>Ikke besvaret</b>"), 22);
	assert_int_equal(count(b.data, ">Ret<span"), 24);
	assert_non_null(strstr(b.data, "/q/24\">Ret"));
	assert_non_null(strstr(b.data, "<button name=\"go\" value=\"send\""));
	assert_non_null(strstr(b.data, ">Send svar</button>"));
	assert_non_null(strstr(b.data, "/send\">"));
	fr_buf_free(&b);
}

/* A consultant: one dimension per screen, then the goals screen with
 * every level in words. */
static void test_consultant(void **state)
{
	static const struct pr_goalcat goals = {
		.n = 2,
		.code = {"belief", "skills"},
		.name = {{"Tro på egne evner", "Belief in own abilities"},
			 {"Kompetencer & <erfaring>", "Skills"}},
	};
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	pr_draft_init(&d);
	d.ngoals = 1;
	strcpy(d.goals[0].code, "belief");
	d.goals[0].weight = 2;
	d.goals[0].level = -1;
	ctx(&c, &konsulent, &d, PR_DA);
	c.goals = &goals;
	assert_int_equal(pr_screens(&konsulent), konsulent.ndims + 1);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_screen(&b, &c, 1), 0);
	assert_non_null(strstr(b.data, "> Meget sandsynligt</label>"));
	assert_non_null(strstr(b.data, "Side 1 af 3"));
	fr_buf_reset(&b);
	assert_int_equal(pr_screen(&b, &c, 2), 0);
	assert_int_equal(count(b.data, "<fieldset>"), 10);
	fr_buf_reset(&b);
	assert_int_equal(pr_screen(&b, &c, 3), 0);
	assert_non_null(strstr(b.data, "Kompetencer &amp; &lt;erfaring&gt;"));
	assert_non_null(strstr(b.data, "name=\"w_belief\" value=\"2\" checked> "
				       "Vigtigt"));
	assert_non_null(strstr(b.data, "name=\"l_belief\" value=\"-1\" checked>"
				       " Mindre end forventet"));
	assert_non_null(strstr(b.data, "value=\"-2\"> Meget mindre end "
				       "forventet"));
	assert_non_null(strstr(b.data, "value=\"2\"> Meget mere end "
				       "forventet"));
	fr_buf_reset(&b);
	assert_int_equal(pr_review(&b, &c), 0);
	assert_non_null(strstr(b.data, "Tro på egne evner (Vigtigt, Mindre end "
				       "forventet)"));
	fr_buf_free(&b);
}

/* Reliable change as fremdrift.rci: SE = sd * sqrt(2) * sqrt(1 - alpha);
 * with sd 10 and alpha 0.8 that is 6.32, so 12.4 points is reliable and
 * 12.3 is not. */
static void test_rci_words(void **state)
{
	struct pr_round r[3];
	struct pr_history h;
	struct pr_draft d;
	struct pr_ctx c;
	struct fr_buf b;

	(void)state;
	assert_int_equal(pr_reliable_change(12.4, 10, 0.8), PR_IMPROVED);
	assert_int_equal(pr_reliable_change(12.3, 10, 0.8), PR_UNCHANGED);
	assert_int_equal(pr_reliable_change(-12.4, 10, 0.8), PR_WORSE);
	assert_int_equal(pr_reliable_change(50, 0, 0.8), PR_UNCHANGED);
	assert_int_equal(pr_reliable_change(50, 10, 1.0), PR_UNCHANGED);

	memset(&h, 0, sizeof(h));
	memset(r, 0, sizeof(r));
	h.ins = &borger;
	h.rounds = r;
	h.nrounds = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(r[i].date, sizeof(r[i].date), "2025-0%d-01", i + 1);
		for (int dm = 0; dm < borger.ndims; dm++) {
			r[i].present[dm] = 1;
			r[i].score[dm] = 50;
		}
		r[i].score[0] = 30 + 20 * i; /* tro: 30, 50, 70 */
	}
	for (int dm = 0; dm < borger.ndims; dm++) {
		h.sd[dm] = 10;
		h.alpha[dm] = 0.8;
	}
	assert_int_equal(pr_dim_change(&h, 0), PR_IMPROVED);
	assert_int_equal(pr_dim_change(&h, 1), PR_UNCHANGED);
	pr_draft_init(&d);
	ctx(&c, &borger, &d, PR_DA);
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_progress(&b, &c, &h, NULL), 0);
	assert_non_null(strstr(b.data, ">Din udvikling</h1>"));
	assert_int_equal(count(b.data, "Du er gået tydeligt frem"), 1);
	assert_int_equal(count(b.data, "Omtrent som sidst"),
			 borger.ndims - 1);
	assert_int_equal(count(b.data, "<svg"), borger.ndims);
	assert_int_equal(count(b.data, "<table>"), borger.ndims);
	assert_non_null(strstr(b.data, "<td>70</td>"));
	assert_non_null(strstr(b.data, "<th scope=\"row\">1.3.2025</th>"));
	/* tro at 70 reaches belief and motivation (threshold 60). */
	assert_non_null(strstr(b.data, "<li>belief</li>"));
	assert_null(strstr(b.data, "<li>attendance</li>"));
	fr_buf_free(&b);
}

static void test_form(void **state)
{
	static const char body[] = "csrf=ab12&b03=4&go=next&x=%C3%A6+%3C";
	char out[16];

	(void)state;
	assert_int_equal(pr_form_get(body, strlen(body), "b03", out,
				     sizeof(out)), 1);
	assert_string_equal(out, "4");
	assert_int_equal(pr_form_get(body, strlen(body), "go", out,
				     sizeof(out)), 1);
	assert_string_equal(out, "next");
	assert_int_equal(pr_form_get(body, strlen(body), "x", out,
				     sizeof(out)), 1);
	assert_string_equal(out, "æ <");
	assert_int_equal(pr_form_get(body, strlen(body), "b0", out,
				     sizeof(out)), 0);
	assert_int_equal(pr_form_get(body, strlen(body), "csrf", out, 3), -1);
}

static void test_messages(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 65536);
	assert_int_equal(pr_message(&b, PR_DA, PR_MSG_GONE, NULL, "c", "j"), 0);
	assert_non_null(strstr(b.data, "Linket virker ikke længere. Kontakt "
				       "din konsulent, så får du et nyt."));
	fr_buf_reset(&b);
	assert_int_equal(pr_message(&b, PR_DA, PR_MSG_USED, "/l/x", "c", "j"),
			 0);
	assert_non_null(strstr(b.data, "Tak, du har allerede svaret"));
	assert_non_null(strstr(b.data, "href=\"/l/x/udvikling\""));
	fr_buf_reset(&b);
	assert_int_equal(pr_message(&b, PR_DA, PR_MSG_ROOT, NULL, "c", "j"), 0);
	assert_non_null(strstr(b.data, "Brug det link, du har fået"));
	fr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_citizen_screen),
		cmocka_unit_test(test_english),
		cmocka_unit_test(test_draft_and_resume),
		cmocka_unit_test(test_review),
		cmocka_unit_test(test_consultant),
		cmocka_unit_test(test_rci_words),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests_name("page_render", tests, setup,
					   teardown);
}
