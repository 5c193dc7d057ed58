/*
 * serve: the HTTP server and the ingest pipeline on one libuv loop, with
 * two database connections (records, tokens and health on one; dashboard
 * queries, which may take seconds, on the other). Runs until SIGINT or
 * SIGTERM and returns an FR_EXIT_* code. Main thread.
 */
#ifndef FREMDRIFT_SERVE_H
#define FREMDRIFT_SERVE_H

#include "fremdrift/config.h"

int serve_run(const struct fr_config *cfg);

#endif
