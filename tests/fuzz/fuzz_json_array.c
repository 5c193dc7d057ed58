/* libFuzzer target: an application/json body of the records API, split
 * into records as server/rapi.c does (a JSON array of objects, or one
 * object) and each through the record validator into a COPY batch. */
#include <jansson.h>
#include <stdint.h>

#include "fremdrift/batch.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size,
				 JSON_REJECT_DUPLICATES, &jerr);
	struct rec_ctx ctx;
	struct batch b;
	size_t i;
	json_t *v;
	int added = 0;

	if (doc == NULL)
		return 0;
	if (json_is_object(doc)) {
		json_t *arr = json_array();

		json_array_append_new(arr, doc);
		doc = arr;
	}
	if (!json_is_array(doc)) {
		json_decref(doc);
		return 0;
	}
	fuzz_ctx(&ctx);
	batch_init(&b, "fuzz");
	json_array_foreach(doc, i, v) {
		struct record r;
		struct fr_err err;
		int rc;

		fr_err_clear(&err);
		if (rec_from_json_object(v, &ctx, &r, &err) != 0) {
			fuzz_check_err(&err);
			continue;
		}
		rc = batch_add(&b, &r, (int)i);
		if (rc < 0 || rc > 1)
			abort();
		added += rc == 0;
	}
	/* Records in, rows out: duplicates inside the body fold away. */
	if (batch_count(&b) != added)
		abort();
	batch_free(&b);
	json_decref(doc);
	return 0;
}
