/* libFuzzer target: an application/json body of the records API, split
 * into records as server/rapi.c does (rec_split_next: a JSON array of
 * values, or one object), each through the record validator into a COPY
 * batch. The whole body is split once first, as rapi.c checks it before
 * taking any record; jansson then says whether the split is right. */
#include <jansson.h>
#include <stdint.h>

#include "fremdrift/batch.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits the whole body; the number of elements, or -1 when it is not a
 * JSON array of records (and then the error must say where). */
static long split_all(const char *text, size_t size)
{
	struct rec_split s;
	struct fr_err err;
	const char *elem;
	size_t elen;
	long n = 0;
	int rc;

	rec_split_init(&s, text, size);
	fr_err_clear(&err);
	while ((rc = rec_split_next(&s, &elem, &elen, &err)) == 1) {
		/* Each element lies inside the body, in order, not empty. */
		if (elem < text || elen == 0 || elem + elen > text + size)
			abort();
		n++;
	}
	if (rc == 0) {
		/* Ended well, it stays ended. */
		if (rec_split_next(&s, &elem, &elen, &err) != 0)
			abort();
		return n;
	}
	if (rc != FR_EPARSE || err.line < 1 || err.column < 1 ||
	    err.msg[0] == '\0')
		abort();
	return -1;
}

/* Where both accept the body, jansson sees as many records. (The
 * splitter is stricter in places: nesting depth, number length; jansson in
 * others: duplicate keys and NUL characters, which the splitter leaves to
 * the record validator.) */
static void compare_jansson(const char *text, size_t size, long n)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL)
		return;
	if (json_is_array(doc) && (long)json_array_size(doc) != n)
		abort();
	if (json_is_object(doc) && n != 1)
		abort();
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct rec_split s;
	struct rec_ctx ctx;
	struct batch b;
	const char *elem;
	size_t elen;
	long n = split_all(text, size), i = 0;
	int added = 0;

	if (n < 0)
		return 0;
	compare_jansson(text, size, n);
	fuzz_ctx(&ctx);
	batch_init(&b, "fuzz");
	rec_split_init(&s, text, size);
	while (rec_split_next(&s, &elem, &elen, NULL) == 1) {
		struct record r;
		struct fr_err err;
		int rc;

		fr_err_clear(&err);
		if (rec_parse_json(elem, elen, &ctx, &r, &err) != 0) {
			fuzz_check_err(&err);
			i++;
			continue;
		}
		rc = batch_add(&b, &r, (int)i++);
		if (rc < 0 || rc > 1)
			abort();
		added += rc == 0;
	}
	/* The second split finds what the first did; records in, rows out:
	 * duplicates inside the body fold away. */
	if (i != n || batch_count(&b) != added)
		abort();
	batch_free(&b);
	return 0;
}
