/* libFuzzer target: one NDJSON line through the record parser, and, when
 * it is accepted, into a COPY batch. */
#include <stdint.h>

#include "fremdrift/batch.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_ctx ctx;
	struct record r;
	struct fr_err err;
	struct batch b;

	fuzz_ctx(&ctx);
	fr_err_clear(&err);
	if (rec_parse_json((const char *)data, size, &ctx, &r, &err) != 0) {
		fuzz_check_err(&err);
		return 0;
	}
	batch_init(&b, "fuzz");
	if (batch_add(&b, &r, 0) != 0 || batch_count(&b) != 1)
		abort();
	/* One COPY row, ending in exactly one newline. */
	if (batch_bytes(&b) == 0 ||
	    (b.resp.len && b.resp.data[b.resp.len - 1] != '\n') ||
	    (b.ev.len && b.ev.data[b.ev.len - 1] != '\n'))
		abort();
	batch_free(&b);
	return 0;
}
