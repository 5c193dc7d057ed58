// The pages in use during a `measure refresh` (issue 19, mixed load):
// a leader's /dashboard with changing filters, the dashboard API, and a
// citizen's question page and progress page, read in a loop over plain
// HTTP (keep-alive, one request at a time per kind, as people would)
// until the process is stopped; then prints per kind the calls, p50, p99
// and max, and any answer that was not 200.
//
//   FREMDRIFT_MIX_URL    the server
//   FREMDRIFT_MIX_TOKEN  a dashboard token (signs in through the form)
//   FREMDRIFT_MIX_LINK   a citizen's link (from `fremdrift invite`)
//   FREMDRIFT_MIX_PAGE_RATE  calls a second of each kind (each kind's
//                        calls start at most that often, one at a time);
//                        unset or 0: each kind as fast as it is answered
//
// Run by scripts/bench-scale.sh (growth with FREMDRIFT_GROWTH_MIXED=1, or
// mixed). Speed is never asserted.
const base = (process.env.FREMDRIFT_MIX_URL || '').replace(/\/$/, '');
const token = process.env.FREMDRIFT_MIX_TOKEN || '';
const link = process.env.FREMDRIFT_MIX_LINK || '';
if (!base || !token || !link) {
	console.error('mixedload: FREMDRIFT_MIX_URL, FREMDRIFT_MIX_TOKEN and FREMDRIFT_MIX_LINK are needed');
	process.exit(2);
}
const rate = Number(process.env.FREMDRIFT_MIX_PAGE_RATE || 0);
if (!(rate >= 0)) {
	console.error('mixedload: FREMDRIFT_MIX_PAGE_RATE is a number of calls a second');
	process.exit(2);
}

const seen = new Map(); // kind -> { t: [ms], bad: n }
const note = (kind, ms, ok) => {
	const k = seen.get(kind) || { t: [], bad: 0 };
	k.t.push(ms);
	if (!ok) k.bad++;
	seen.set(kind, k);
};
async function timed(kind, url, init = {}) {
	const t0 = performance.now();
	try {
		const r = await fetch(url, { redirect: 'manual', ...init });
		await r.arrayBuffer();
		note(kind, performance.now() - t0, r.status === 200);
		return r;
	} catch {
		note(kind, performance.now() - t0, false);
		return null;
	}
}

// Sign in once through the form's POST, with the page's own origin.
const login = await fetch(`${base}/dashboard/login`, {
	method: 'POST', redirect: 'manual',
	headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
	body: new URLSearchParams({ token, next: '' }) });
const cookie = (login.headers.get('set-cookie') || '').split(';')[0];
if (login.status !== 303 || !cookie) {
	console.error(`mixedload: sign-in answered ${login.status}`);
	process.exit(1);
}
// The citizen's link leads to the questions; its path is /l/<token>.
const path = new URL(link).pathname.replace(/\/$/, '');

const periods = ['', 'period=2025-Q1', 'period=2024', 'period=2025-Q3', 'department=aarhus',
	'target_group=sick_listed'];
let stop = false;
const show = () => {
	const q = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
	console.log('pages during the run (kind, calls, p50, p99, max, not 200):');
	for (const [kind, k] of seen) {
		const t = [...k.t].sort((a, b) => a - b);
		console.log(`  ${kind.padEnd(16)} ${String(t.length).padStart(6)}  p50 ${q(t, 0.5).toFixed(1)} ms` +
			`  p99 ${q(t, 0.99).toFixed(1)} ms  max ${t[t.length - 1].toFixed(1)} ms  ${k.bad}`);
	}
	process.exit(0);
};
process.on('SIGTERM', () => { stop = true; });
process.on('SIGINT', () => { stop = true; });

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
// One kind's calls, one at a time; paced, a call starts 1000 / rate ms
// after the one before started, or at once if that one took longer (no
// burst to catch up).
async function loop(body) {
	const gap = rate > 0 ? 1000 / rate : 0;
	let next = performance.now();
	for (let i = 0; !stop; i++) {
		await body(i);
		if (!gap)
			continue;
		next += gap;
		const wait = next - performance.now();
		if (wait > 0)
			await sleep(wait);
		else
			next = performance.now();
	}
}
await Promise.all([
	loop((i) => timed('dashboard page', `${base}/dashboard?${periods[i % periods.length]}`,
		{ headers: { cookie } })),
	loop((i) => timed('dashboard API', `${base}/api/v1/dashboard/${['overview', 'progression', 'mix'][i % 3]}`,
		{ headers: { authorization: `Bearer ${token}` } })),
	loop(() => timed('question page', `${base}${path}/q/1`)),
	loop(() => timed('progress page', `${base}${path}/udvikling`)),
]);
show();
