/*
 * pseudonym_stream: the staff-facing CPR-to-pseudonym tool behind
 * `fremdrift pseudonym` (access and erasure requests). Reads stdin, writes
 * one line per input line to stdout: the hex pseudonym, or
 * "error: <reason>: <message>" (never the number). Returns FR_EXIT_OK,
 * FR_EXIT_REJECTED when any line was invalid, or FR_EXIT_FATAL.
 *
 * With PSTREAM_COURSE or PSTREAM_RECORD_ID the lines are course keys or
 * record ids of a source system instead, each taken as given (a trailing
 * CR dropped), and the output is the pseudonym ingest stores for it
 * (pseud_ident_hex): how to find a course in the report views, or to map
 * old to new pseudonyms when the key is rotated.
 */
#ifndef FREMDRIFT_PSEUDONYM_STREAM_H
#define FREMDRIFT_PSEUDONYM_STREAM_H

enum pstream_kind { PSTREAM_CPR, PSTREAM_COURSE, PSTREAM_RECORD_ID };

int pseud_stream_run(const char *keypath, enum pstream_kind kind);

#endif
