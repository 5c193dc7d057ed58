/*
 * pseudonym_stream: the staff-facing CPR-to-pseudonym tool behind
 * `fremdrift pseudonym` (access and erasure requests). Reads stdin, writes
 * one line per input line to stdout: the hex pseudonym, or
 * "error: <reason>: <message>" (never the number). Returns FR_EXIT_OK,
 * FR_EXIT_REJECTED when any line was invalid, or FR_EXIT_FATAL.
 */
#ifndef FREMDRIFT_PSEUDONYM_STREAM_H
#define FREMDRIFT_PSEUDONYM_STREAM_H

int pseud_stream_run(const char *keypath);

#endif
