/*
 * hash: a fast 64-bit hash of a byte string, for in-memory tables only
 * (not for anything an attacker chooses to collide, and never stored).
 * Pure; any thread.
 */
#ifndef FREMDRIFT_HASH_H
#define FREMDRIFT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Eight bytes at a time, each word mixed by a multiply and a shift, then
 * a final mix; seed picks one of many such functions. */
static inline uint64_t fr_hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n ^ seed;

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	while (n > 0) {
		h = (h ^ *s++) * 0xc4ceb9fe1a85ec53ULL;
		n--;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

#endif
