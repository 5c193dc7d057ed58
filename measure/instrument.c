#include "fremdrift/instrument.h"

#include <string.h>

/* 1 if item it is called exactly id (len bytes, which may hold a NUL: a
 * JSON key "b01\u0000" is not b01, so the name must not end early). */
static int item_is(const struct instr_item *it, const char *id, size_t len)
{
	return len < sizeof(it->id) && memcmp(it->id, id, len) == 0 &&
	       it->id[len] == '\0' && strnlen(it->id, len) == len;
}

int instr_find_item(const struct instrument *ins, const char *id, size_t len)
{
	return instr_find_item_from(ins, id, len, 0);
}

int instr_find_item_from(const struct instrument *ins, const char *id,
			 size_t len, int hint)
{
	if (hint >= 0 && hint < ins->nitems && item_is(&ins->items[hint], id, len))
		return hint;
	for (int i = 0; i < ins->nitems; i++)
		if (item_is(&ins->items[i], id, len))
			return i;
	return -1;
}

int instr_find_dim(const struct instrument *ins, const char *id)
{
	for (int d = 0; d < ins->ndims; d++)
		if (strcmp(ins->dims[d].id, id) == 0)
			return d;
	return -1;
}

int instr_in_range(const struct instr_item *item, int value)
{
	return value >= item->min && value <= item->max;
}

void instr_score(const struct instrument *ins, const int16_t *answers,
		 double *scores, unsigned char *present)
{
	for (int d = 0; d < ins->ndims; d++) {
		const struct instr_dim *dim = &ins->dims[d];
		double sum = 0;
		int answered = 0;

		for (int k = 0; k < dim->nitems; k++) {
			const struct instr_item *it = &ins->items[dim->items[k]];
			int x = answers[dim->items[k]];

			if (x == INSTR_NULL)
				continue;
			if (it->reversed)
				x = it->min + it->max - x;
			/* Each item rescaled on its own scale, so items with
			 * different scales still average fairly. */
			sum += 100.0 * (x - it->min) / (it->max - it->min);
			answered++;
		}
		/* Two thirds or more of the items, or no score at all. */
		if (dim->nitems == 0 || answered * 3 < dim->nitems * 2) {
			present[d] = 0;
			scores[d] = 0;
		} else {
			present[d] = 1;
			scores[d] = sum / answered;
		}
	}
}
