/*
 * The one parser of PostgreSQL numeric array text (see pg_array.h).
 */
#include "fremdrift/pg_array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pga_parse_reals(const char *s, double *v, int max)
{
	int n = 0;

	if (s == NULL)
		return 0;
	if (*s++ != '{')
		return -1;
	while (*s && *s != '}') {
		char *end;
		double x;

		if (n == max)
			return -1;
		if (strncmp(s, "NULL", 4) == 0) {
			x = NAN;
			end = (char *)s + 4;
		} else {
			x = strtod(s, &end);
			if (end == s)
				return -1;
		}
		v[n++] = x;
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '}')
			return -1;
	}
	return *s == '}' ? n : -1;
}
