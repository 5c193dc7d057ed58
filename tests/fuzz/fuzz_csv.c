/* libFuzzer target: a whole CSV file through the file reader (framing,
 * quoting, header, rows) into a batch, via an in-memory file. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fremdrift/file_parse.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct file_parser fp;
	struct rec_ctx ctx;
	struct fr_buf rejects;
	struct batch b;
	char path[64], fpr[65];
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_ctx(&ctx);
	if (file_open(&fp, path, FMT_CSV, fpr, NULL) != 0)
		abort();
	fr_buf_init(&rejects, 1u << 24);
	batch_init(&b, "fuzz");
	while (!fp.eof && !fp.fatal[0])
		file_parse_some(&fp, &ctx, &b, 1000, &rejects);
	/* Every byte is accounted for, and every record somewhere. */
	if (!fp.fatal[0] && fp.offset > (long long)size)
		abort();
	if (fp.accepted + fp.duplicates != batch_count(&b) + b.in_batch_dups)
		abort();
	batch_free(&b);
	fr_buf_free(&rejects);
	file_close(&fp);
	close(fd);
	return 0;
}
