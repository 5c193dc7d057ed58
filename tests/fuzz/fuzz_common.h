/* Shared set-up for the record fuzz targets: catalogues and a key. */
#ifndef FREMDRIFT_FUZZ_COMMON_H
#define FREMDRIFT_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "fremdrift/record.h"

static struct catalog fuzz_cat;
static struct pseud_ctx *fuzz_pseud;

static void fuzz_ctx(struct rec_ctx *ctx)
{
	static int ready;
	static const char *kinds[] = {"department", "target_group",
				      "intervention", "exit_status", "subgoal",
				      "meeting"};
	static const char *codes[] = {"aarhus", "sick_listed", "internship",
				      "education", "belief", "conversation"};
	static const char *extras[] = {NULL, NULL, "company", NULL, NULL, NULL};
	static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-01234";

	if (!ready) {
		if (catalog_init(&fuzz_cat, NULL) != 0 ||
		    pseud_ctx_new(key, 32, &fuzz_pseud, NULL) != 0)
			abort();
		catalog_set_codes(&fuzz_cat, 6, kinds, codes, extras);
		ready = 1;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->cat = &fuzz_cat;
	ctx->pseud = fuzz_pseud;
	ctx->key_no = 1;
	ctx->today = (struct cpr_date){2026, 11, 22};
	ctx->default_source = "fuzz";
}

/* A rejection must always say why. */
static inline void fuzz_check_err(const struct fr_err *err)
{
	if (err->msg[0] == '\0')
		abort();
}

#endif
