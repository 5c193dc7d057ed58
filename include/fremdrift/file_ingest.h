/*
 * `fremdrift ingest`: files (or stdin) through the same pipeline as HTTP,
 * on a libuv loop of its own: reading and parsing on the thread pool,
 * batches written by the copy sink, each batch committed together with the
 * file's checkpoint so that a run killed and started again resumes.
 */
#ifndef FREMDRIFT_FILE_INGEST_H
#define FREMDRIFT_FILE_INGEST_H

#include "fremdrift/config.h"
#include "fremdrift/file_parse.h"

struct file_ingest_opts {
	enum file_format format;  /* FMT_AUTO: from each file's name */
	const char *rejects_path; /* NULL: rejections are only counted */
	const char *source;       /* for records that name none; checked */
	char **files;             /* "-" is stdin */
	int nfiles;               /* at least 1 */
};

/*
 * Ingests the files in order, printing a summary line per file (and a
 * total for several) on stderr. Returns FR_EXIT_OK when every record was
 * stored or was a duplicate, FR_EXIT_REJECTED when some were rejected,
 * FR_EXIT_FATAL (with the reason on stderr) otherwise. opts and cfg are
 * borrowed. Runs the default libuv loop: call it from the main thread,
 * once.
 */
int file_ingest_run(const struct file_ingest_opts *opts,
		    const struct fr_config *cfg);

#endif
