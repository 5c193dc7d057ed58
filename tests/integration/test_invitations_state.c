/*
 * The link state the pages are built on (include/fremdrift/links.h), in
 * process, on a real loop against the real database: a token looked up by
 * its hash, a wrong one answered after a second and counted until the
 * client is limited, answers checked and saved into the draft, and the
 * draft stored through the records pipeline (rapi_store) as one response
 * per round (a second submit stores nothing), with a consultant's job
 * chance and goals as events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fremdrift/auth.h"
#include "fremdrift/env.h"
#include "fremdrift/links.h"
#include "fremdrift/rapi.h"
#include "fremdrift/record.h"

#include "harness.h"

#define CPR "610190-1001"

static struct h_site site;
static const char *env_vars[] = {site.env_db, site.env_key,
				 "FREMDRIFT_PUBLIC_URL=https://f.example.dk",
				 NULL};
static uv_loop_t *loop;
static struct pgc *pg;
static struct ing_env env;
static struct auth *auth;
static struct records_api *api;
static struct links *links;
static int up, ready;

static void on_state(struct pgc *c, int is_up, void *data)
{
	(void)c;
	(void)data;
	up = is_up;
}

static void on_env(struct ing_env *e, int rc, const char *error, void *data)
{
	(void)e;
	(void)data;
	if (rc != 0)
		fprintf(stderr, "env: %s\n", error);
	ready = rc == 0 ? 1 : -1;
}

static void on_tick(uv_timer_t *t) { (void)t; }

/* Runs the loop until *flag is set (or 10 s pass). A server calls
 * rapi_store from a loop callback, after which the check phase writes
 * the batch; this test calls it from outside, so a tick keeps the loop
 * from sleeping in poll meanwhile. */
static void run_until(int *flag)
{
	long long end = h_now_ms() + 10000;
	uv_timer_t tick;

	uv_timer_init(loop, &tick);
	uv_timer_start(&tick, on_tick, 10, 10);
	while (!*flag && h_now_ms() < end)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_true(*flag);
}

static void stored_cb(int rc, int stored, int duplicates, const char *why,
		      void *data)
{
	int *done = data;

	if (rc != 0)
		fprintf(stderr, "store: %s\n", why);
	assert_int_equal(rc, 0);
	assert_int_equal(stored + duplicates, 1);
	*done = 1;
}

/* The course K-1 starts today, stored through rapi_store. */
static void store_course(void)
{
	char line[512], today[11];
	time_t t = time(NULL);
	struct rec_ctx ctx = {.cat = &env.cat, .key_no = env.key_no,
			      .default_source = "crm"};
	struct pseud_ctx *pseud;
	struct record rec;
	struct fr_err err;
	int done = 0;

	strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&t));
	snprintf(line, sizeof(line),
		 "{\"kind\":\"event\",\"id\":\"s1\",\"cpr\":\"" CPR "\","
		 "\"course\":\"K-1\",\"at\":\"%s\",\"type\":\"course_started\","
		 "\"department\":\"aarhus\",\"agreement\":\"sick_listed\"}",
		 today);
	assert_int_equal(pseud_ctx_new(env.key.bytes, env.key.len, &pseud,
				       NULL),
			 0);
	ctx.pseud = pseud;
	cpr_today(&ctx.today);
	fr_err_clear(&err);
	assert_int_equal(rec_parse_json(line, strlen(line), &ctx, &rec, &err),
			 0);
	assert_int_equal(rapi_store(api, &rec, 1, "crm", stored_cb, &done), 0);
	run_until(&done);
	pseud_ctx_free(pseud);
}

static int setup(void **state)
{
	struct fr_err err;

	(void)state;
	if (h_site_new(&site, "it_links_state") != 0)
		return -1;
	loop = uv_default_loop();
	fr_err_clear(&err);
	if (env_init(&env, site.key_path, &err) != 0 ||
	    pgc_new(loop, site.db, NULL, on_state, NULL, &pg, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	run_until(&up);
	if (env_prepare(&env, pg, on_env, NULL) != 0)
		return -1;
	run_until(&ready);
	if (ready != 1)
		return -1;
	auth = auth_new(loop, pg);
	api = rapi_new(loop, pg, &env, auth);
	links = links_new(loop, pg, &env, api, auth, "https://f.example.dk/");
	if (links == NULL)
		return -1;
	store_course();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	links_close(links);
	rapi_close(api);
	pgc_close(pg, NULL, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	auth_free(auth);
	env_free(&env);
	return 0;
}

/* `fremdrift invite`'s link for respondent; its token into token. */
static void invite(const char *respondent, char token[LINK_TOKEN_LEN + 1])
{
	struct h_result r = h_run((const char *const[]){"invite", "--course",
							"K-1", "--respondent",
							respondent, NULL},
				  env_vars, NULL, 0);

	assert_int_equal(r.status, 0);
	assert_int_equal(strncmp(r.out, "https://f.example.dk/l/", 23), 0);
	r.out[strcspn(r.out, "\n")] = '\0';
	assert_int_equal(link_token_from(r.out, token), 0);
	h_result_free(&r);
}

struct got {
	struct link *lk;
	int done, rc;
	char why[200];
};

static void opened(struct link *lk, void *data)
{
	struct got *g = data;

	g->lk = lk;
	g->done = 1;
}

static struct link *open_link(const char *token)
{
	struct got g = {0};

	links_open(links, NULL, token, opened, &g);
	run_until(&g.done);
	return g.lk;
}

static void finished(int rc, const char *why, void *data)
{
	struct got *g = data;

	g->rc = rc;
	snprintf(g->why, sizeof(g->why), "%s", why ? why : "");
	g->done = 1;
}

/* links_save of patch (JSON text): its rc (through cb, or as returned). */
static int save(struct link *lk, const char *patch, const char **why)
{
	json_t *p = json_loads(patch, 0, NULL);
	struct got g = {0};
	int rc;

	assert_non_null(p);
	rc = links_save(links, lk, p, finished, &g, why);
	json_decref(p);
	if (rc != 0)
		return rc;
	run_until(&g.done);
	return g.rc;
}

static int submit(struct link *lk)
{
	struct got g = {0};

	assert_int_equal(links_submit(links, lk, finished, &g), 0);
	run_until(&g.done);
	return g.rc;
}

static const char *q(const char *sql)
{
	static char out[4096];
	PGconn *c = h_db(site.db);
	const char *v = h_scalar(c, sql);

	snprintf(out, sizeof(out), "%s", v ? v : "(null)");
	PQfinish(c);
	return out;
}

static void test_citizen_round(void **state)
{
	char token[LINK_TOKEN_LEN + 1], csrf[LINK_CSRF_LEN + 1];
	const char *course = h_course(site.key_path, "K-1"), *why = NULL;
	struct pseud_ctx *pseud;
	struct link *lk;
	char name[200];

	(void)state;
	invite("citizen", token);
	lk = open_link(token);
	assert_int_equal(lk->state, LINK_OPEN);
	assert_string_equal(lk->instr->name, "borger");
	assert_int_equal(lk->respondent, 'c');
	assert_int_equal(lk->round, 1);
	assert_string_equal(lk->course, course);
	assert_string_equal(lk->token, token);
	assert_true(json_is_object(lk->draft));
	assert_int_equal(pseud_ctx_new(env.key.bytes, env.key.len, &pseud,
				       NULL),
			 0);
	assert_int_equal(link_csrf(pseud, token, csrf), 0);
	pseud_ctx_free(pseud);
	assert_string_equal(lk->csrf, csrf);

	/* Refused patches, each with its reason. */
	assert_int_equal(save(lk, "{\"answers\":{\"zz9\":1}}", &why),
			 FR_EINVAL);
	assert_non_null(strstr(why, "answers"));
	assert_int_equal(save(lk, "{\"answers\":{\"b01\":6}}", &why),
			 FR_EINVAL);
	assert_int_equal(save(lk, "{\"answers\":{\"b01\":\"3\"}}", &why),
			 FR_EINVAL);
	assert_int_equal(save(lk, "{\"job_chance\":3}", &why), FR_EINVAL);
	assert_non_null(strstr(why, "consultant"));
	assert_int_equal(save(lk, "{\"nope\":1}", &why), FR_EINVAL);

	/* Saved answer by answer; 0 is "spring over"; kept in the row. */
	assert_int_equal(save(lk, "{\"answers\":{\"b01\":3,\"b02\":0}}", &why),
			 0);
	assert_int_equal(save(lk, "{\"answers\":{\"b03\":5}}", &why), 0);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(lk->draft, "answers"), "b01")),
			 3);
	assert_string_equal(q(h_sql("SELECT draft->'answers'->>'b03' FROM "
				    "fremdrift.invitations WHERE id = %lld",
				    lk->id)),
			    "5");

	/* Submitted: one response under the course's citizen. */
	assert_int_equal(submit(lk), 0);
	assert_int_equal(lk->state, LINK_ANSWERED);
	snprintf(name, sizeof(name), "link/%s/borger/c/1", course);
	assert_string_equal(
		q(h_sql("SELECT count(*) FROM fremdrift.responses r JOIN "
			"fremdrift.events e ON e.pseudonym = r.pseudonym AND "
			"e.type = 'course_started' WHERE r.source = 'link' "
			"AND r.id = '%s' AND r.course = '%s' AND "
			"r.answers[1] = 3 AND r.answers[2] IS NULL AND "
			"r.answers[3] = 5 AND r.respondent = 'c'",
			h_rid(site.key_path, name), course)),
		"1");
	assert_string_equal(q(h_sql("SELECT answered_at IS NOT NULL AND "
				    "draft = '{}' FROM fremdrift.invitations "
				    "WHERE id = %lld",
				    lk->id)),
			    "t");
	/* A second submit (double click, second device) stores nothing. */
	assert_int_equal(submit(lk), 0);
	assert_string_equal(q("SELECT count(*) FROM fremdrift.responses "
			      "WHERE source = 'link'"),
			    "1");
	/* No more answers go into an answered round. */
	assert_int_equal(save(lk, "{\"answers\":{\"b04\":2}}", &why),
			 FR_ESTATE);
	links_free(lk);
	lk = open_link(token);
	assert_int_equal(lk->state, LINK_ANSWERED);
	assert_true(lk->answered_at[0] != '\0');
	links_free(lk);
}

static void test_consultant_round(void **state)
{
	char token[LINK_TOKEN_LEN + 1];
	const char *why = NULL;
	struct link *lk;

	(void)state;
	invite("consultant", token);
	lk = open_link(token);
	assert_int_equal(lk->state, LINK_OPEN);
	assert_string_equal(lk->instr->name, "konsulent");
	assert_int_equal(save(lk, "{\"goals\":{\"nope\":{\"weight\":1}}}",
			      &why),
			 FR_EINVAL);
	assert_int_equal(save(lk, "{\"goals\":{\"belief\":{\"weight\":4}}}",
			      &why),
			 FR_EINVAL);
	assert_int_equal(save(lk, "{\"job_chance\":6}", &why), FR_EINVAL);
	assert_int_equal(save(lk, "{\"answers\":{\"k01\":4},\"job_chance\":2,"
				  "\"goals\":{\"belief\":{\"weight\":2},"
				  "\"community\":{\"weight\":1,\"level\":0}}}",
			      &why),
			 0);
	/* A goal's level added later, field by field. */
	assert_int_equal(save(lk, "{\"goals\":{\"belief\":{\"level\":-1}}}",
			      &why),
			 0);
	assert_int_equal(submit(lk), 0);
	assert_string_equal(q("SELECT string_agg(type || ':' || "
			      "coalesce(goal, '') || ':' || coalesce(weight, "
			      "level)::text, ' ' ORDER BY type, goal) FROM "
			      "fremdrift.events WHERE source = 'link'"),
			    "goal_rated:belief:-1 goal_rated:community:0 "
			    "goal_set:belief:2 goal_set:community:1 "
			    "job_chance_rated::4");
	assert_string_equal(q("SELECT count(*) FROM fremdrift.responses "
			      "WHERE source = 'link' AND respondent = 'k'"),
			    "1");
	links_free(lk);
}

static void test_wrong_tokens_slow_then_limited(void **state)
{
	struct got g[LINKS_MISS_MAX + 1];
	long long t0 = h_now_ms();
	struct link *lk;

	(void)state;
	memset(g, 0, sizeof(g));
	for (int i = 0; i <= LINKS_MISS_MAX; i++)
		links_open(links, NULL, i % 2 ? "AAAAAAAAAAAAAAAAAAAAAA" : "x",
			   opened, &g[i]);
	for (int i = 0; i <= LINKS_MISS_MAX; i++) {
		run_until(&g[i].done);
		assert_int_equal(g[i].lk->state, LINK_UNKNOWN);
		links_free(g[i].lk);
	}
	assert_true(h_now_ms() - t0 >= 900);
	/* The 22nd lookup from the same client: limited, at once. */
	lk = open_link("AAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(lk->state, LINK_LIMITED);
	links_free(lk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_citizen_round),
		cmocka_unit_test(test_consultant_round),
		cmocka_unit_test(test_wrong_tokens_slow_then_limited),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
