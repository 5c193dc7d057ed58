/*
 * File ingest over two connections (issue 19): batches are written two at
 * a time but commit in file order, so that what was promised before still
 * holds. Killed at any moment, the checkpoint claims exactly the records
 * that are stored; run again, every record is stored once; a record met
 * twice keeps its first occurrence even when the two are in batches
 * written at once; a bad line is still named by line and field with the
 * good records beside it stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static const char *env[] = {site.env_db, site.env_key, NULL};

#define CPR_A "670761-4285" /* a replacement number: no real person's */

static long count(PGconn *c, const char *sql)
{
	return atol(h_scalar(c, sql));
}

static int setup(void **state)
{
	(void)state;
	return h_site_new(&site, "it_ingest_order");
}

#define STORED                                                                 \
	"SELECT (SELECT count(*) FROM fremdrift.responses WHERE source = "     \
	"'synth') + (SELECT count(*) FROM fremdrift.events WHERE source = "    \
	"'synth')"
#define INGESTS                                                                \
	"SELECT count(*) FROM pg_stat_activity WHERE datname = "               \
	"current_database() AND pid <> pg_backend_pid() AND "                  \
	"application_name = 'fremdrift'"

/* Waits until the killed run's backends have gone (each rolls back what
 * it had not committed). */
static void wait_backends_gone(PGconn *c)
{
	for (int i = 0; i < 500 && count(c, INGESTS) > 0; i++)
		h_sleep_ms(20);
	assert_int_equal(count(c, INGESTS), 0);
}

/* `fremdrift synth` output into path; its lines (a record each). */
static long synth_to(const char *path, int citizens, int seed)
{
	char cmd[512], buf[65536];
	long lines = 0;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s synth --citizens %d --seed %d > %s",
		 h_bin(), citizens, seed, path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	fclose(f);
	return lines;
}

/*
 * SIGKILL at random moments, six times: after each, the rows stored are
 * exactly the records of the lines the checkpoint claims (synth output
 * has one valid record a line), neither fewer (a batch committed out of
 * order would leave a hole) nor more. Then a last run stores the rest,
 * every record once.
 */
static void test_killed_at_random_checkpoint_exact(void **state)
{
	char path[256], log[256];
	const char *args[] = {"ingest", path, NULL};
	struct h_result r;
	long lines, most_backends = 0;
	int done = 0;
	PGconn *c = h_db(site.db);

	(void)state;
	srand((unsigned)h_now_ms());
	snprintf(path, sizeof(path), "%s/order.ndjson", h_tmpdir());
	snprintf(log, sizeof(log), "%s/order.log", h_tmpdir());
	lines = synth_to(path, 3000, 8);
	assert_true(lines > 100000); /* several batches of 20,000 */
	for (int kill_no = 0; kill_no < 6; kill_no++) {
		long long until = h_now_ms() + 200 + rand() % 1500;
		pid_t pid = h_spawn(args, env, log);
		long stored, claimed;

		while (h_now_ms() < until) {
			long n = count(c, INGESTS);

			most_backends = n > most_backends ? n : most_backends;
			h_sleep_ms(25);
		}
		kill(pid, SIGKILL);
		h_wait(pid, 5000);
		wait_backends_gone(c);
		stored = count(c, STORED);
		claimed = count(c, "SELECT coalesce(sum(accepted), 0) FROM "
				   "fremdrift.file_checkpoints");
		assert_int_equal(stored, claimed);
		assert_int_equal(claimed,
				 count(c, "SELECT coalesce(sum(line), 0) FROM "
					  "fremdrift.file_checkpoints"));
		if (stored == lines) {
			done = 1; /* a fast machine finished before the kill */
			break;
		}
	}
	/* The two connections were both writing. */
	assert_true(most_backends >= 2);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	{
		/* Resumed: the whole file's records accepted. Already whole:
		 * read again, every record a duplicate, none stored twice. */
		char want[96];

		snprintf(want, sizeof(want),
			 done ? "0 accepted, %ld duplicates, 0 rejected"
			      : "%ld accepted, 0 duplicates, 0 rejected",
			 lines);
		assert_non_null(strstr(r.err, want));
	}
	h_result_free(&r);
	assert_int_equal(count(c, STORED), lines);
	assert_int_equal(count(c, "SELECT count(*) FROM fremdrift.file_checkpoints "
				  "WHERE NOT done"),
			 0);
	PQfinish(c);
}

#define FILLER 45000
/* Batches hold 20,000 records: "ord-dup" near the end of the first batch
 * and again near the start of the second, where the second batch meets it
 * first; a bad line beside it. */
#define FIRST_AT 19999
#define DUP_AT 20002
#define BAD_AT 20004

/* One event line: job_chance_rated at the given level. */
static void put_event(FILE *f, const char *id, int level)
{
	fprintf(f,
		"{\"kind\":\"event\",\"id\":\"%s\",\"cpr\":\"" CPR_A "\","
		"\"course\":\"K7\",\"at\":\"2026-02-01\","
		"\"type\":\"job_chance_rated\",\"level\":%d}\n",
		id, level);
}

/*
 * A record met twice, in two batches that would be written at once, keeps
 * its first occurrence (the batches wait for each other); a bad line in
 * the second batch is named by line and field, and the good records beside
 * it are stored.
 */
static void test_first_occurrence_wins_across_batches(void **state)
{
	char path[256], id[32];
	const char *args[] = {"ingest", path, NULL};
	struct h_result r;
	PGconn *c = h_db(site.db);
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/dup.ndjson", h_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	for (int line = 1; line <= FILLER; line++) {
		snprintf(id, sizeof(id), "ord-%d", line);
		if (line == FIRST_AT)
			put_event(f, "ord-dup", 1);
		else if (line == DUP_AT)
			put_event(f, "ord-dup", 5);
		else
			put_event(f, id, line == BAD_AT ? 9 : 2 + line % 4);
	}
	fclose(f);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 3);
	{
		char want[96];

		snprintf(want, sizeof(want),
			 "%d accepted, 1 duplicates, 1 rejected", FILLER - 2);
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), "line %d, field level", BAD_AT);
		assert_non_null(strstr(r.err, want));
	}
	h_result_free(&r);
	assert_int_equal(count(c, h_sql("SELECT level FROM fremdrift.events "
					"WHERE id = '%s'",
					h_rid(site.key_path, "ord-dup"))),
			 1);
	assert_int_equal(count(c, "SELECT count(*) FROM fremdrift.events WHERE "
				  "course IS NOT NULL AND level IS NOT NULL "
				  "AND source = 'file'"),
			 FILLER - 2);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_at_random_checkpoint_exact),
		cmocka_unit_test(test_first_occurrence_wins_across_batches),
	};
	return cmocka_run_group_tests_name("ingest_order", tests, setup, NULL);
}
