/* Cronbach's alpha and the SD against values computed by hand (RCI and
 * GAS are SQL, tested in tests/integration/test_measure.c). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alpha_small_matrix),
		cmocka_unit_test(test_alpha_undefined),
		cmocka_unit_test(test_sd),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
