# Used by scripts/bench-scale.sh mixed: awk -v lim=50000 -f scripts/latency-merge.awk FILE
# Lines "<requests> <percentile> <us>", 101 a run (scripts/bench-post.lua):
# prints the p99 of all the runs' requests read as one, and the share of
# them slower than lim microseconds. A run's share above x is taken from
# its own table (100 - the largest percentile at or under x), so the
# result is good to 0.05 % of each run.
{ r = int((NR - 1) / 101); k = (NR - 1) % 101; n[r] = $1; P[r, k] = $2; V[r, k] = $3; runs = r + 1; X[NR] = $3 }
function above(x,    r, k, tot, p) {
	tot = 0
	for (r = 0; r < runs; r++) {
		p = 95
		# under its 95th percentile: taken as 5 % above (a floor)
		for (k = 0; k <= 100; k++) if (V[r, k] <= x) p = P[r, k]
		tot += n[r] * (100 - p) / 100
	}
	return tot
}
END {
	for (r = 0; r < runs; r++) total += n[r]
	best = -1
	for (i = 1; i <= NR; i++) if ((best < 0 || X[i] < best) && above(X[i]) <= 0.01 * total) best = X[i]
	printf "%d requests in %d runs: p99 %.2f ms, %.2f %% slower than %d ms\n", total, runs, best / 1000, 100 * above(lim) / total, lim / 1000
}
