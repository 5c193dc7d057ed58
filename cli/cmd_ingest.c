/* `fremdrift ingest`: argv to ingest/file_ingest.c. */
#include "cli.h"

#include "fremdrift/file_ingest.h"
#include "fremdrift/record.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift ingest [--format ndjson|csv] [--rejects FILE] "
	       "[--source NAME] FILE...\n\n"
	       "Reads questionnaire responses and course events (docs/formats.md) "
	       "from each FILE\n(`-` for stdin), pseudonymises every CPR number, "
	       "and stores the records in\nthe database. Bad records are "
	       "reported by line, column, field and reason\n(never the "
	       "rejected values): all of them to FILE given with --rejects\n"
	       "(NDJSON), otherwise the first five of each file on stderr. The "
	       "rest are\nstored. A record already stored (same source and id) is "
	       "counted as a\nduplicate, not stored twice. Killed and run again "
	       "on the same file, it\nresumes after the last committed batch.\n\n"
	       "  --format   ndjson or csv (default: from the file name, .csv "
	       "and .txt are\n"
	       "             CSV; for stdin from its first line, a JSON object "
	       "or a CSV\n"
	       "             header with a cpr column)\n"
	       "  --rejects  where to write the rejected records' positions and "
	       "reasons\n"
	       "  --source   the source of records that name none (default: "
	       "file)\n\n"
	       "Exit 0 when every record was stored (or was a duplicate), 3 when "
	       "some were\nrejected (the rest stored), 2 on a usage or fatal "
	       "error.\n");
	return EXIT_OK;
}

/* Reads one option into o. 0, or the exit code of a usage error. */
static int option(int c, struct file_ingest_opts *o, char **argv)
{
	switch (c) {
	case 'f':
		if (strcmp(optarg, "ndjson") == 0)
			o->format = FMT_NDJSON;
		else if (strcmp(optarg, "csv") == 0)
			o->format = FMT_CSV;
		else
			return cli_usage_error("ingest", "--format must be "
							 "ndjson or csv");
		return 0;
	case 'r':
		o->rejects_path = optarg;
		return 0;
	case 's':
		if (!rec_source_ok(optarg))
			return cli_usage_error("ingest",
					       "--source must be 1 to 64 "
					       "letters, digits, '_', '.' or "
					       "'-'");
		o->source = optarg;
		return 0;
	default:
		return cli_getopt_error("ingest", c, argv);
	}
}

int cmd_ingest(int argc, char **argv, const struct fr_config *cfg)
{
	struct file_ingest_opts o = {.format = FMT_AUTO, .source = "file"};
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"rejects", required_argument, NULL, 'r'},
		{"source", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return usage();
		rc = option(c, &o, argv);
		if (rc != 0)
			return rc;
	}
	if (optind == argc)
		return cli_usage_error("ingest", "FILE is missing: name one or "
						 "more files, or - for stdin");
	o.files = argv + optind;
	o.nfiles = argc - optind;
	return file_ingest_run(&o, cfg);
}
