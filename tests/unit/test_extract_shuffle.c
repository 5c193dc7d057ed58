/*
 * The extract's row order (anonymize/extract_rows.c): every row written
 * exactly once, whether the file's rows stayed in memory or went through
 * the 64 temporary buckets, and the order uniformly random in both ways
 * (each row equally likely at each position: a chi-square test with a
 * one-in-a-million false alarm rate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../anonymize/extract_internal.h"

static char dir[] = "/tmp/fremdrift-shuffle-XXXXXX";

/* Writes rows 0..n-1 ("<i>,<text>\n", text with a newline inside quotes
 * for every seventh) to a new file and reads back the order: order[k]
 * is the row at line k. Returns the number of lines read. */
static size_t write_and_read(const char *name, int n, int *order)
{
	struct extract__out o;
	char path[512], line[256];
	size_t k = 0;
	FILE *f;

	assert_int_equal(extract__out_open(&o, dir, name), 0);
	for (int i = 0; i < n; i++)
		extract__out_row(&o, i % 7 ? "%d,plain\n" : "%d,\"two\nlines\"\n", i);
	assert_int_equal(extract__out_close(&o), 0);
	extract__out_free(&o);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "lines\"\n") == 0)
			continue; /* the second half of a quoted row */
		assert_true(k < (size_t)n);
		order[k++] = atoi(line);
	}
	fclose(f);
	unlink(path);
	return k;
}

static void every_row_once(size_t hold_max)
{
	enum { N = 20000 };
	static int order[N], seen[N];
	int moved = 0, descents = 0;

	extract__hold_max = hold_max;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(write_and_read("rows.csv", N, order), N);
	for (int k = 0; k < N; k++) {
		assert_true(order[k] >= 0 && order[k] < N);
		seen[order[k]]++;
		moved += order[k] != k;
		descents += k > 0 && order[k] < order[k - 1];
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	assert_true(moved > N / 2);
	/* Shuffled within each bucket too: kept in bucket order, the rows
	 * would fall only where one bucket's run ends (63 times). */
	assert_true(descents > N / 3);
}

static void test_in_memory(void **state)
{
	(void)state;
	every_row_once((size_t)256 << 20);
}

static void test_through_buckets(void **state)
{
	(void)state;
	every_row_once(4096); /* spills after the first hundred or so rows */
}

/* No temporary file is left behind in the output folder. */
static void test_no_leftovers(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		files += e->d_name[0] != '.' || strncmp(e->d_name, ".extract-", 9) == 0;
	closedir(d);
	assert_int_equal(files, 0);
}

/* Row r at position p, over many files of 8 rows: each of the 64
 * (row, position) pairs should come up a 1/8 of the time. */
static void uniform(size_t hold_max)
{
	enum { R = 8, TRIALS = 4000 };
	long count[R][R] = {{0}};
	int order[R];
	double chi2 = 0, e = TRIALS / (double)R;
	char name[32];

	extract__hold_max = hold_max;
	for (int t = 0; t < TRIALS; t++) {
		snprintf(name, sizeof(name), "u%d.csv", t);
		assert_int_equal(write_and_read(name, R, order), R);
		for (int p = 0; p < R; p++)
			count[order[p]][p]++;
	}
	for (int r = 0; r < R; r++)
		for (int p = 0; p < R; p++)
			chi2 += (count[r][p] - e) * (count[r][p] - e) / e;
	/* 49 degrees of freedom; P(chi2 > 105) is about 1e-6. */
	assert_true(chi2 < 105);
}

static void test_uniform_in_memory(void **state)
{
	(void)state;
	uniform((size_t)256 << 20);
}

static void test_uniform_through_buckets(void **state)
{
	(void)state;
	uniform(1); /* every row through a bucket */
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_through_buckets),
		cmocka_unit_test(test_uniform_in_memory),
		cmocka_unit_test(test_uniform_through_buckets),
		cmocka_unit_test(test_no_leftovers),
	};

	return cmocka_run_group_tests_name("extract_shuffle", tests, setup, teardown);
}
