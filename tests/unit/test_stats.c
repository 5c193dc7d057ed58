/* The statistics against values computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "fremdrift/stats.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_alpha_small_matrix(void **state)
{
	/* Four people, three items (sample variances, n - 1 = 3):
	 *   2 3 3 | 8      item 1: 2,4,5,1, mean 3, var (1+1+4+4)/3 = 10/3
	 *   4 4 5 | 13     item 2: 3,4,6,3, mean 4, var (1+0+4+1)/3 = 2
	 *   5 6 5 | 16     item 3: 3,5,5,3, mean 4, var (1+1+1+1)/3 = 4/3
	 *   1 3 3 | 7      totals 8,13,16,7, mean 11, var (9+4+25+16)/3 = 18
	 * alpha = 3/2 * (1 - (10/3 + 2 + 4/3) / 18) = 1.5 * (1 - 20/54)
	 *       = 0.944444... */
	static const double rows[4][3] = {
		{2, 3, 3}, {4, 4, 5}, {5, 6, 5}, {1, 3, 3}};
	struct alpha_acc a;
	double alpha;

	(void)state;
	alpha_init(&a, 3);
	for (int i = 0; i < 4; i++)
		alpha_add(&a, rows[i]);
	assert_int_equal(alpha_value(&a, &alpha), 0);
	NEAR(alpha, 1.5 * (1.0 - 20.0 / 54.0));
	NEAR(alpha, 0.944444444444444);
}

static void test_alpha_undefined(void **state)
{
	static const double same[3] = {3, 3, 3};
	struct alpha_acc a;
	double alpha;

	(void)state;
	alpha_init(&a, 3);
	alpha_add(&a, same);
	assert_int_equal(alpha_value(&a, &alpha), -1); /* one case */
	alpha_add(&a, same);
	assert_int_equal(alpha_value(&a, &alpha), -1); /* no variance */
}

static void test_sd(void **state)
{
	struct sd_acc s = {0};
	double sd;

	(void)state;
	sd_add(&s, 10);
	assert_int_equal(sd_value(&s, &sd), -1);
	sd_add(&s, 20);
	sd_add(&s, 30);
	assert_int_equal(sd_value(&s, &sd), 0);
	NEAR(sd, 10.0);
}

static void test_rci_boundaries(void **state)
{
	/* sd 10, r 0.8: SE_diff = 10 * sqrt(2) * sqrt(0.2) = 6.32455532 */
	double se = 10 * sqrt(2.0) * sqrt(0.2), v;
	enum rci_class c;

	(void)state;
	assert_int_equal(rci(1.96 * se + 1e-6, 10, 0.8, &v, &c), 0);
	assert_int_equal(c, RCI_IMPROVED);
	assert_int_equal(rci(1.96 * se - 1e-6, 10, 0.8, &v, &c), 0);
	assert_int_equal(c, RCI_UNCHANGED);
	assert_int_equal(rci(-1.96 * se - 1e-6, 10, 0.8, &v, &c), 0);
	assert_int_equal(c, RCI_DETERIORATED);
	assert_int_equal(rci(-1.96 * se + 1e-6, 10, 0.8, &v, &c), 0);
	assert_int_equal(c, RCI_UNCHANGED);
	assert_int_equal(rci(20, 10, 0.8, &v, &c), 0);
	NEAR(v, 20 / se);
	assert_int_equal(rci(5, 10, 1.0, &v, &c), -1);
	assert_int_equal(rci(5, 0, 0.8, &v, &c), -1);
}

static void test_gas(void **state)
{
	static const int levels[3] = {1, 0, -1}, ones[3] = {1, 1, 1};
	static const int weights[3] = {3, 1, 2};
	double t;

	(void)state;
	/* Unweighted: sum wx = 0 -> T = 50. */
	assert_int_equal(gas_t(levels, ones, 3, 0.3, &t), 0);
	NEAR(t, 50.0);
	/* Weighted: sum wx = 3 - 2 = 1; sum w^2 = 14; sum w = 6;
	 * T = 50 + 10 / sqrt(0.7 * 14 + 0.3 * 36) = 50 + 10 / sqrt(20.6). */
	assert_int_equal(gas_t(levels, weights, 3, 0.3, &t), 0);
	NEAR(t, 50.0 + 10.0 / sqrt(20.6));
	/* One goal reached "+2", weight 1: T = 50 + 20 / sqrt(0.7 + 0.3). */
	{
		static const int two[1] = {2}, one[1] = {1};

		assert_int_equal(gas_t(two, one, 1, 0.3, &t), 0);
		NEAR(t, 70.0);
	}
	assert_int_equal(gas_t(levels, weights, 0, 0.3, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alpha_small_matrix),
		cmocka_unit_test(test_alpha_undefined),
		cmocka_unit_test(test_sd),
		cmocka_unit_test(test_rci_boundaries),
		cmocka_unit_test(test_gas),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
