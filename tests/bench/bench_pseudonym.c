/*
 * In-process pseudonym speed: parse + HMAC for N CPR numbers on one thread
 * (the work done per ingested record). Prints one line of figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fremdrift/cpr.h"
#include "fremdrift/pseudonym.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	static const unsigned char key[32] = "bench-key-bench-key-bench-key-!!";
	struct cpr_date today = {2026, 11, 22};
	struct pseud_ctx *ctx;
	unsigned char mac[PSEUD_LEN], acc = 0;
	char line[16];
	double t0, t_mac, t_all;

	if (pseud_ctx_new(key, sizeof(key), &ctx, NULL) != 0)
		return 1;
	/* HMAC alone. */
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "61010%01ld%04ld", (i / 10000) % 10,
			 i % 10000);
		pseud_citizen(ctx, line, mac);
		acc ^= mac[0];
	}
	t_mac = now_s() - t0;
	/* Parse, validate, HMAC, wipe: what ingest does per record. */
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		struct cpr c;
		int len = snprintf(line, sizeof(line), "610100-%04ld", i % 10000);

		if (cpr_parse(line, (size_t)len, &today, &c, NULL) != 0)
			return 1;
		pseud_citizen(ctx, c.canonical, mac);
		cpr_wipe(&c);
		acc ^= mac[0];
	}
	t_all = now_s() - t0;
	pseud_ctx_free(ctx);
	printf("pseudonym in-process: %ld numbers; HMAC only %.2f M/s; "
	       "parse+validate+HMAC+wipe %.2f M/s (one core) [%02x]\n",
	       n, (double)n / t_mac / 1e6, (double)n / t_all / 1e6, acc);
	return 0;
}
