/*
 * `fremdrift key rotate` (docs/privacy.md §6, "Rotating the key"): the case system's CPR
 * numbers, course keys and record ids move every pseudonym from the old
 * key to the new one in one transaction. A dry run keeps nothing; a line
 * that cannot be read changes nothing; the dashboard's figures, published
 * again from scratch after the rotation, are the same; an open link works
 * with the new key; what was not given is listed as unreached; a second
 * run moves nothing more; the audit row holds counts, no identifier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static char synth_path[256], input_path[256], new_key[256];
static char new_env[300];
static const char *env[] = {site.env_db, site.env_key, NULL};
static const char *env_new[] = {site.env_db, new_env, NULL};
static PGconn *db;
/* left out of the rotation's input: two citizens, one course and one
 * record id of citizens that are given */
static char skip_cpr[2][16], skip_course[64], skip_record[64];
static char *before[9];
/* a running course's open link, made under the old key */
static char running[64], link_old[256];

static const char *const views[9] = {"overview", "progression", "subgoals",
				     "company",  "mix",         "paid_hours",
				     "belief",   "exits",       "followups"};

/* Writes the rotation's input: every CPR number, course key and record id
 * of the synthetic file, but the first two citizens' CPR numbers, one
 * course key and one record id of a citizen that is given. */
static void write_input(void)
{
	char *text = h_read_file(synth_path), *save = NULL;
	FILE *out = fopen(input_path, "w");
	int seen = 0;

	assert_non_null(out);
	fprintf(out, "# the case system's identifiers\n\n");
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL);
		const char *cpr = json_string_value(json_object_get(o, "cpr"));
		const char *course =
			json_string_value(json_object_get(o, "course"));
		const char *id = json_string_value(json_object_get(o, "id"));
		int first = strstr(id, "-e0") != NULL;
		int skipped = seen > 0 && (strcmp(cpr, skip_cpr[0]) == 0 ||
					   (seen > 1 &&
					    strcmp(cpr, skip_cpr[1]) == 0));

		/* a line per record: a number or key given twice is one */
		if (first && seen < 2 && !skipped) {
			snprintf(skip_cpr[seen++], 16, "%s", cpr);
			skipped = 1;
		} else if (!skipped)
			fprintf(out, "%s\n", cpr);
		if (first && !skipped && skip_course[0] == '\0')
			snprintf(skip_course, sizeof(skip_course), "%s", course);
		else if (strcmp(course, skip_course) != 0)
			fprintf(out, "course %s\n", course);
		if (!first && !skipped && skip_record[0] == '\0' &&
		    strcmp(course, skip_course) != 0)
			snprintf(skip_record, sizeof(skip_record), "%s", id);
		else
			fprintf(out, "record %s\n", id);
		json_decref(o);
	}
	fclose(out);
	free(text);
	assert_true(skip_cpr[1][0] && skip_course[0] && skip_record[0]);
}

/* A course of the file that started and has not ended. */
static void find_running(void)
{
	char *text = h_read_file(synth_path), *save = NULL;
	json_t *started = json_object(), *ended = json_object(), *v;
	const char *course;

	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL);
		const char *type = json_string_value(json_object_get(o, "type"));

		course = json_string_value(json_object_get(o, "course"));
		if (type && strcmp(type, "course_started") == 0)
			json_object_set_new(started, course, json_true());
		if (type && strcmp(type, "course_ended") == 0)
			json_object_set_new(ended, course, json_true());
		json_decref(o);
	}
	json_object_foreach(started, course, v)
		if (!running[0] && json_object_get(ended, course) == NULL)
			snprintf(running, sizeof(running), "%s", course);
	json_decref(started);
	json_decref(ended);
	free(text);
	assert_true(running[0] != '\0');
}

/* The link `fremdrift invite` gives for the running course under e. */
static void invite(const char *const *e, char *out, size_t size)
{
	const char *args[] = {"invite", "--course", running, "--respondent",
			      "citizen", NULL};
	struct h_result r = h_run(args, e, NULL, 0);
	const char *url = strstr(r.out, "http");

	assert_int_equal(r.status, 0);
	assert_non_null(url);
	snprintf(out, size, "%.*s", (int)strcspn(url, "\n"), url);
	h_result_free(&r);
}

/* 1 if the database holds the hash of url's token. */
static int link_known(const char *url)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM fremdrift.invitations WHERE token_hash "
		 "= sha256('%s'::bytea)",
		 strstr(url, "/l/") + 3);
	return atoi(h_scalar(db, sql));
}

/* Every view's rows (without the protection's dates), the API's order. */
static char *figures(const char *view)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT json_agg(r::text ORDER BY r::text)::text FROM "
		 "(VALUES (NULL, NULL), ('1000-Q1', '9999-Q4')) p(f, t), "
		 "fremdrift.dash_answer('%s', p.f, p.t, NULL, NULL) a, "
		 "json_array_elements(a.body::json -> 'rows') r",
		 view);
	return strdup(h_scalar(db, sql));
}

/* Publishes everything again from the true cells: what the figures would
 * be now, not what they were when first published. */
static void republish(const char *const *e)
{
	const char *refresh[] = {"measure", "refresh", NULL};

	h_scalar(db, "DELETE FROM fremdrift.dash_published; SELECT 1");
	h_run_ok(refresh, e, NULL);
}

static int setup(void **state)
{
	const char *synth[] = {"synth", "--citizens", "300", "--seed", "18",
			       NULL};
	const char *ingest[] = {"ingest", "--source", "synth", synth_path,
				NULL};
	const char *keygen[] = {"keygen", "--out", new_key, NULL};
	struct h_result r;
	FILE *f;

	(void)state;
	if (h_site_new(&site, "it_key_rotate") != 0)
		return -1;
	snprintf(synth_path, sizeof(synth_path), "%s/rotate.ndjson",
		 h_tmpdir());
	snprintf(input_path, sizeof(input_path), "%s/rotate.txt", h_tmpdir());
	snprintf(new_key, sizeof(new_key), "%s/rotate-new.key", h_tmpdir());
	snprintf(new_env, sizeof(new_env), "FREMDRIFT_KEY_FILE=%s", new_key);
	unlink(new_key);
	r = h_run(synth, env, NULL, 0);
	f = fopen(synth_path, "w");
	fputs(r.out, f);
	fclose(f);
	h_result_free(&r);
	h_run_ok(ingest, env, NULL);
	h_run_ok(keygen, env, NULL);
	db = h_db(site.db);
	republish(env);
	for (int i = 0; i < 9; i++)
		before[i] = figures(views[i]);
	write_input();
	find_running();
	invite(env, link_old, sizeof(link_old));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 9; i++)
		free(before[i]);
	PQfinish(db);
	return 0;
}

static struct h_result rotate(const char *extra)
{
	char *input = h_read_file(input_path);
	const char *args[] = {"key",     "rotate",  "--old", site.key_path,
			      "--new",   new_key,   extra,   NULL};
	struct h_result r = h_run(args, env, input, strlen(input));

	free(input);
	return r;
}

static long count(const char *sql)
{
	return atol(h_scalar(db, sql));
}

static void test_bad_line_changes_nothing(void **state)
{
	const char *args[] = {"key", "rotate", "--old", site.key_path, "--new",
			      new_key, NULL};
	static const char input[] = "course K-1\n310199-1234\n123\n";
	struct h_result r = h_run(args, env, input, strlen(input));

	(void)state;
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "line 3:"));
	/* the line's text is never echoed */
	assert_null(strstr(r.err, "123\n"));
	assert_null(strstr(r.err, "310199"));
	h_result_free(&r);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.pseudonym_keys"),
			 1);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.key_rotations"),
			 0);
}

static void test_dry_run_keeps_nothing(void **state)
{
	struct h_result r = rotate("--dry-run");
	json_t *o;

	(void)state;
	assert_int_equal(r.status, 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "dry_run")));
	assert_true(json_integer_value(json_object_get(
			    json_object_get(json_object_get(o, "moved"),
					    "citizen"),
			    "events")) > 0);
	json_decref(o);
	h_result_free(&r);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.pseudonym_keys"),
			 1);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.key_rotations"),
			 0);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.events WHERE "
			       "key_no <> 1"),
			 0);
}

/* The pseudonym of cpr under key file path, as the database holds it. */
static long rows_of(const char *path, const char *cpr)
{
	const char *args[] = {"pseudonym", "--key", path, NULL};
	char in[32], sql[256];
	struct h_result r;

	snprintf(in, sizeof(in), "%s\n", cpr);
	r = h_run(args, env, in, strlen(in));
	assert_int_equal(r.status, 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM fremdrift.events WHERE pseudonym = "
		 "decode('%.64s', 'hex')",
		 r.out);
	h_result_free(&r);
	return count(sql);
}

static void test_rotation(void **state)
{
	struct h_result r;
	char cpr[16];

	(void)state;
	r = rotate(NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"dry_run\":false"));
	h_result_free(&r);
	/* one audit row, with counts and key ids only */
	assert_int_equal(count("SELECT count(*) FROM fremdrift.key_rotations"),
			 1);
	assert_null(h_db_holds(db, skip_course));
	/* every given citizen's rows are under the new key; the two left
	 * out are still under the old one */
	assert_int_equal(count("SELECT count(DISTINCT pseudonym) FROM "
			       "fremdrift.events WHERE key_no = 1"),
			 2);
	assert_true(rows_of(site.key_path, skip_cpr[0]) > 0);
	assert_int_equal(h_synth_cpr(synth_path, 5, cpr), 0);
	assert_int_equal(rows_of(site.key_path, cpr), 0);
	assert_true(rows_of(new_key, cpr) > 0);
	/* the open link is re-keyed: the new key's link for the round
	 * works, the old one no longer does */
	{
		char link_new[256];

		invite(env_new, link_new, sizeof(link_new));
		assert_string_not_equal(link_new, link_old);
		assert_int_equal(link_known(link_new), 1);
		assert_int_equal(link_known(link_old), 0);
	}
	/* the course left out was noted as unreached */
	assert_int_equal(count("SELECT count(*) FROM "
			       "fremdrift.key_rotation_unreached WHERE kind = "
			       "'course'"),
			 1);
	assert_int_equal(count("SELECT count(*) FROM "
			       "fremdrift.key_rotation_unreached WHERE kind = "
			       "'record'"),
			 1);
}

static void test_figures_unchanged(void **state)
{
	(void)state;
	/* published again from scratch, under the new key's pseudonyms:
	 * the same record keys, the same noise, the same figures */
	republish(env_new);
	for (int i = 0; i < 9; i++) {
		char *now = figures(views[i]);

		assert_string_equal(now, before[i]);
		free(now);
	}
}

static void test_unreached_and_again(void **state)
{
	const char *args[] = {"key", "rotate", "--old", site.key_path,
			      "--unreached", NULL};
	struct h_result r = h_run(args, env, NULL, 0);
	int citizens = 0, courses = 0, records = 0;
	char *save = NULL;

	(void)state;
	assert_int_equal(r.status, 0);
	for (char *l = strtok_r(r.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		citizens += strstr(l, "\"kind\" : \"citizen\"") != NULL ||
			    strstr(l, "\"kind\":\"citizen\"") != NULL;
		courses += strstr(l, "course\"") != NULL;
		records += strstr(l, "record\"") != NULL;
	}
	h_result_free(&r);
	assert_int_equal(citizens, 2);
	assert_int_equal(courses, 1);
	assert_int_equal(records, 1);
	/* again, with the same lines: nothing more moves */
	r = rotate(NULL);
	assert_int_equal(r.status, 0);
	{
		json_t *o = json_loads(r.out, 0, NULL), *moved, *t, *n;
		const char *kind, *table;
		json_int_t sum = 0;

		assert_non_null(o);
		moved = json_object_get(o, "moved");
		json_object_foreach(moved, kind, t)
			if (json_is_object(t))
				json_object_foreach(t, table, n)
					sum += json_integer_value(n);
		assert_int_equal(sum, 0);
		json_decref(o);
	}
	h_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_line_changes_nothing),
		cmocka_unit_test(test_dry_run_keeps_nothing),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_figures_unchanged),
		cmocka_unit_test(test_unreached_and_again),
	};

	return cmocka_run_group_tests_name("key_rotate", tests, setup,
					   teardown);
}
