// The leadership page (/dashboard, issue 16) in Chromium against a running
// `fremdrift serve`: sign in through the form with a dashboard token, then
// change the filters through the page many times, as a leader would: pick
// a period (quarters and whole years), a department or a target group
// (each including "all"), press "Vis tallene", and time it.
//
//   node tests/browser/dashbench.mjs [URL [TOKEN]]
//   FREMDRIFT_DASH_URL, FREMDRIFT_DASH_TOKEN  the same, from the environment
//                                             (keeps the token out of ps)
//   FREMDRIFT_BENCH_CHANGES                   filter changes (default 36)
//
// For each change:
//   total   from the click on "Vis tallene" (the form's submit event, in
//           the old page) to the end of the new page's load event (its
//           Navigation Timing loadEventEnd): the HTML, its stylesheets and
//           script, every svg.bars parsed and laid out;
//   server  the navigation's responseEnd - requestStart: the server's
//           answer as the browser received it (query, HTML, transfer);
//   render  its loadEventEnd - responseEnd: parsing, style, layout and
//           the cached assets, up to the end of the load event;
//   driver  the same click to load as playwright sees it from outside,
//           around Promise.all([waitForNavigation, click]) (adds the
//           driver's own round trips).
// Each new page is checked: status 200, the h1 names the chosen period,
// the three selects hold the chosen values, and the charts are there.
// Prints p50, p95 and max, and the page's size. Exits non-zero only when
// a page failed to load or showed other filters than chosen; speed is
// never asserted. Run by `make bench` (scripts/bench.sh measure).
import { launch } from './lib/browser.mjs';

const base = (process.argv[2] || process.env.FREMDRIFT_DASH_URL || '').replace(/\/$/, '');
const token = process.argv[3] || process.env.FREMDRIFT_DASH_TOKEN || '';
const changes = Number(process.env.FREMDRIFT_BENCH_CHANGES || 36);
if (!base || !token) {
	console.error('usage: dashbench.mjs URL TOKEN (or FREMDRIFT_DASH_URL, FREMDRIFT_DASH_TOKEN)');
	process.exit(2);
}

const T0 = 'fremdrift-bench-click';
const quantile = (xs, q) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const ms = (x) => `${Math.round(x)} ms`;
const kib = (x) => `${(x / 1024).toFixed(0)} KiB`;

const browser = await launch();
let failed = 0; // changes that did not load as chosen
try {
	const context = await browser.newContext({
		viewport: { width: 1280, height: 800 }, locale: 'da-DK' });
	context.setDefaultTimeout(30000);
	// The moment of the click, kept across the navigation it starts. An
	// init script runs in every new document without touching the page's
	// CSP (script-src 'self').
	await context.addInitScript((key) => {
		document.addEventListener('submit', () => {
			try { sessionStorage.setItem(key, String(Date.now())); } catch { /* none */ }
		}, true);
	}, T0);
	const page = await context.newPage();

	// Sign in through the form.
	await page.goto(`${base}/dashboard`, { waitUntil: 'load' });
	await page.fill('#token', token);
	const [signedIn] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form.signin button[type=submit]'),
	]);
	if (!signedIn || signedIn.status() !== 200 || (await page.locator('form.filters').count()) !== 1) {
		throw new Error(`signing in did not open the page (status ${signedIn?.status()}, ${page.url()})`);
	}

	// What the selects offer. Periods alternate quarter, year, quarter, …
	// so that a short run sees both kinds.
	const options = (sel) => page.$$eval(`${sel} option`, (os) =>
		os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
	const periods = await options('#f-period');
	const departments = await options('#f-department');
	const groups = await options('#f-target-group');
	const quarters = periods.filter((p) => p.value.includes('Q'));
	const years = periods.filter((p) => !p.value.includes('Q'));
	const mixed = [];
	for (let i = 0; i < Math.max(quarters.length, years.length); i++) {
		if (i < quarters.length) mixed.push(quarters[i]);
		if (i < years.length) mixed.push(years[i]);
	}
	const current = async () => ({
		period: await page.inputValue('#f-period'),
		department: await page.inputValue('#f-department'),
		target_group: await page.inputValue('#f-target-group'),
	});

	// One filter at a time, round-robin: the period, then the department,
	// then the target group, each moving to its next value (wrapping, with
	// "all" among them). Starts from the page the sign-in opened.
	let state = await current();
	const next = (list, value) => list[(list.findIndex((o) => o.value === value) + 1) % list.length].value;
	const runs = [];
	for (let i = 0; i < changes; i++) {
		const want = { ...state };
		if (i % 3 === 0) want.period = next(mixed, state.period);
		else if (i % 3 === 1) want.department = next(departments, state.department);
		else want.target_group = next(groups, state.target_group);
		const what = `period=${want.period} department=${want.department || 'all'} target_group=${want.target_group || 'all'}`;
		try {
			await page.selectOption('#f-period', want.period);
			await page.selectOption('#f-department', want.department);
			await page.selectOption('#f-target-group', want.target_group);
			const button = page.locator('form.filters button[type=submit]', { hasText: 'Vis tallene' });
			const t0 = performance.now();
			const [response] = await Promise.all([
				page.waitForNavigation({ waitUntil: 'load' }),
				button.click(),
			]);
			const driver = performance.now() - t0;
			const seen = await page.evaluate((key) => {
				const n = performance.getEntriesByType('navigation')[0];
				const clicked = Number(sessionStorage.getItem(key));
				return {
					total: clicked ? performance.timeOrigin + n.loadEventEnd - clicked : NaN,
					server: n.responseEnd - n.requestStart,
					render: n.loadEventEnd - n.responseEnd,
					bytes: n.decodedBodySize,
					svgs: document.querySelectorAll('svg.bars').length,
					drawn: [...document.querySelectorAll('svg.bars')]
						.every((s) => s.getBoundingClientRect().height > 0),
					h1: document.querySelector('h1')?.textContent.trim(),
				};
			}, T0);
			const got = await current();
			const periodText = periods.find((p) => p.value === want.period).text;
			const problems = [];
			if (response?.status() !== 200) problems.push(`status ${response?.status()}`);
			if (seen.h1 !== `Ledelsens tal for ${periodText}`) problems.push(`h1 "${seen.h1}"`);
			for (const k of ['period', 'department', 'target_group'])
				if (got[k] !== want[k]) problems.push(`${k} shows "${got[k]}"`);
			if (seen.svgs === 0 || !seen.drawn) problems.push(`${seen.svgs} charts drawn`);
			if (!(seen.total > 0)) problems.push('the click was not seen');
			if (problems.length) {
				failed++;
				console.error(`dashbench: ${what}: ${problems.join(', ')}`);
			} else
				runs.push({ ...seen, driver, what });
			state = got;
		} catch (e) {
			failed++;
			console.error(`dashbench: ${what}: ${e.message.split('\n')[0]}`);
			state = await current().catch(() => state);
		}
	}

	const line = (name, xs) => console.log(`  ${name.padEnd(8)} p50 ${ms(quantile(xs, 0.5)).padStart(7)}  p95 ${ms(quantile(xs, 0.95)).padStart(7)}  max ${ms(Math.max(...xs)).padStart(7)}`);
	if (runs.length) {
		console.log(`  Chromium ${browser.version()}, 1280×800, da-DK; ${runs.length} of ${changes} changes loaded` +
			` (${quarters.length} quarters, ${years.length} years, ${departments.length - 1} departments, ${groups.length - 1} target groups offered)`);
		line('total', runs.map((r) => r.total));
		line('server', runs.map((r) => r.server));
		line('render', runs.map((r) => r.render));
		line('driver', runs.map((r) => r.driver));
		const sizes = runs.map((r) => r.bytes);
		console.log(`  page HTML: median ${kib(quantile(sizes, 0.5))} (${kib(Math.min(...sizes))} to ${kib(Math.max(...sizes))}), ` +
			`${Math.min(...runs.map((r) => r.svgs))} to ${Math.max(...runs.map((r) => r.svgs))} charts`);
		const slow = runs.reduce((a, b) => (b.total > a.total ? b : a));
		console.log(`  slowest: ${ms(slow.total)} (server ${ms(slow.server)}) for ${slow.what}`);
		if (process.env.FREMDRIFT_BENCH_VERBOSE)
			for (const r of runs)
				console.log(`    ${ms(r.total).padStart(7)} server ${ms(r.server).padStart(7)} ${kib(r.bytes).padStart(8)}  ${r.what}`);
	}
	if (failed) console.log(`  ${failed} of ${changes} changes failed to load as chosen`);
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
