// The leadership page (/dashboard, issue 16) in Chromium on a laptop
// (1280×800) and a tablet (768×1024), over 1,500 synthetic citizens:
// signing in with a dashboard token (and not with another), every figure
// shown against the API's for the same filters, protected values shown as
// protected, what foretells a good exit against report.validity (issue
// 18), the CSV download against the page, the print layout as a PDF,
// axe-core on every state, the keyboard, signing out and revoking.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { assertAxe, assertOnlyServer, assertPageShape, assertReflows, assertSecurityHeaders,
	axeOptions, dashSignIn, laptop, launch, phone, tablet, untilLoaded, watchRequests, zoomed } from './lib/browser.mjs';
import { sha256hex, startSite } from './lib/site.mjs';

let site, browser, token, ingestToken, protection, quarters, years;

before(async () => {
	site = await startSite('dashboard');
	site.synth(1500, 16);
	token = site.run(['token', 'create', '--source', 'leadership', '--role', 'dashboard']);
	ingestToken = site.run(['token', 'create', '--source', 'synth', '--role', 'ingest']);
	// The published periods, oldest first, as the API gives them (the
	// overview of everything has one row per published period).
	const q = await api('overview', { to: '9999-Q4' });
	const y = await api('overview', { to: '9999' });
	protection = q.protection;
	quarters = everything(q.rows).map((r) => r.period);
	years = everything(y.rows).map((r) => r.period);
	assert.ok(quarters.length >= 8 && years.length >= 2,
		`enough published periods for a trend (${quarters.join(' ')}; ${years.join(' ')})`);
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

// ------------------------------------------------------------------
// The API, and what the page should show from it

async function api(view, params = {}, bearer = token) {
	const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
	const r = await fetch(`${site.url}/api/v1/dashboard/${view}?${q}`,
		{ headers: { authorization: `Bearer ${bearer}` } });
	assert.equal(r.status, 200, `GET /api/v1/dashboard/${view}?${q}`);
	return r.json();
}

const everything = (rows) => rows.filter((r) => r.department === 'all' && r.target_group === 'all');

// Each section: its view, the category field (null: a trend section, one
// row per period) and its columns: the API field and how it is shown.
const SECTIONS = [
	{ id: 'forloeb', view: 'overview', key: null, cols: [['citizens', 'count']] },
	{ id: 'udvikling', view: 'progression', key: 'dimension', cols: [['citizens', 'count'],
		['share_improved', 'share'], ['share_deteriorated', 'share'], ['mean_change', 'mean']] },
	{ id: 'virksomhed', view: 'company', key: null, cols: [['citizens', 'count'],
		['share_with_company', 'share'], ['median_days_to_first', 'days']] },
	{ id: 'samtidig', view: 'mix', key: 'mix', cols: [['citizens', 'count'], ['share_improved', 'share'],
		['share_deteriorated', 'share'], ['ended', 'count'], ['share_exit_work_or_education', 'share']] },
	{ id: 'timer', view: 'paid_hours', key: null, cols: [['citizens', 'count'],
		['mean_paid_hours_week', 'mean']] },
	{ id: 'tro', view: 'belief', key: 'job_chance', cols: [['citizens', 'count'], ['share_improved', 'share'],
		['share_deteriorated', 'share'], ['ended', 'count'], ['share_exit_work_or_education', 'share']] },
	{ id: 'delmaal', view: 'subgoals', key: 'subgoal', cols: [['citizens', 'count'], ['share_attained', 'share']] },
	{ id: 'afgang', view: 'exits', key: 'status', cols: [['citizens', 'count']] },
	{ id: 'opfoelgning', view: 'followups', key: 'status', cols: [['citizens', 'count']] },
];

function periodWords(p) {
	const m = /^(\d{4})-Q([1-4])$/.exec(p);
	return m ? `${m[2]}. kvartal ${m[1]}` : p;
}

// The period the page shows for a filter: the one asked for, or the
// latest published quarter; and its trend (up to 8 periods of its kind
// ending at it).
function chosen(filters) {
	const period = filters.period || quarters.at(-1);
	const list = period.includes('-Q') ? quarters : years;
	const i = list.indexOf(period);
	assert.ok(i >= 0, `${period} is published`);
	return { period, trend: list.slice(Math.max(0, i - 7), i + 1) };
}

// Keeps the rows of the breakdown the page shows: the department and
// target group chosen, or 'all'.
const breakdown = (rows, f) => rows.filter((r) =>
	r.department === (f.department || 'all') && r.target_group === (f.target_group || 'all'));

// What each section's table should hold for the filters, from the API:
// { id: Map(row key → the row, or undefined when the release has none) }.
async function expected(filters) {
	const { period, trend } = chosen(filters);
	const out = {};
	for (const s of SECTIONS) {
		const rows = new Map();
		if (s.key === null) {
			const a = await api(s.view, { from: trend[0], to: period,
				department: filters.department, target_group: filters.target_group });
			const mine = breakdown(a.rows, filters);
			for (const p of trend) rows.set(p, mine.find((r) => r.period === p));
		} else {
			const a = await api(s.view, { period,
				department: filters.department, target_group: filters.target_group });
			for (const r of breakdown(a.rows, filters)) {
				assert.equal(r.period, period);
				rows.set(String(r[s.key]), r);
			}
		}
		out[s.id] = rows;
	}
	return out;
}

// A Danish number as the page writes it: thousands with '.', decimals
// with ','; a share as whole percent with ' %'.
const DANISH = {
	count: /^\d{1,3}(\.\d{3})*$/,
	days: /^\d{1,3}(\.\d{3})*$/,
	mean: /^-?\d{1,3}(\.\d{3})*,\d$/,
	share: /^\d{1,3}[ \u00a0]%$/, // a no-break space in the headline row
};
const parseDanish = (text) => Number(text.replace(/[ \u00a0]%$/, '').replaceAll('.', '').replace(',', '.'));

// Checks one cell of the page against the API's figure (undefined: the
// release has no row; null: protected).
function assertCell(cell, value, unit, what) {
	if (value === undefined) {
		assert.equal(cell.text, '–', `${what}: no row in the release`);
		return;
	}
	if (value === null) {
		assert.equal(cell.text, unit === 'count' ? `færre end ${protection.min_cell}` : 'skjult',
			`${what}: protected`);
		assert.ok(cell.prot, `${what}: a protected value is a td.prot`);
		return;
	}
	assert.ok(!cell.prot, `${what}: "${cell.text}" is shown, not protected`);
	assert.match(cell.text, DANISH[unit], `${what}: "${cell.text}" in Danish (${unit})`);
	const shown = parseDanish(cell.text);
	if (unit === 'count')
		assert.equal(shown, value, `${what}: "${cell.text}" is the API's ${value}`);
	else if (unit === 'share')
		assert.equal(shown, Math.round(value * 100), `${what}: "${cell.text}" is the API's ${value}`);
	else {
		// A mean with one decimal, days with none: rounded, not cut.
		const half = unit === 'mean' ? 0.05 : 0.5;
		assert.ok(Math.abs(shown - value) <= half + 1e-9, `${what}: "${cell.text}" is the API's ${value}`);
	}
}

// Every section's table as the page shows it.
function readTables(page) {
	return page.evaluate((ids) => ids.map((id) => {
		const s = document.getElementById(id);
		const t = document.getElementById(`${id}-tabel`);
		return {
			id,
			present: !!s,
			title: s?.querySelector('h2')?.textContent ?? null,
			chart: !!s?.querySelector('svg.bars[role=img]'),
			heads: t ? [...t.querySelectorAll('thead th')].map((th) => th.textContent) : null,
			rows: t ? [...t.querySelectorAll('tbody tr')].map((tr) => ({
				key: tr.getAttribute('data-key'),
				label: tr.querySelector('th[scope=row]')?.textContent,
				cells: [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent,
					prot: td.classList.contains('prot') })),
			})) : null,
		};
	}), SECTIONS.map((s) => s.id));
}

// Every figure on the page against the API, for the filters; returns the
// tables read.
async function assertMatchesApi(page, filters) {
	const want = await expected(filters);
	const { period, trend } = chosen(filters);
	const tables = await readTables(page);
	assert.equal(await page.locator('h1').innerText(), `Ledelsens tal for ${periodWords(period)}`);
	for (const s of SECTIONS) {
		const t = tables.find((x) => x.id === s.id);
		const rows = want[s.id];
		const where = `${s.id} (${JSON.stringify(filters)})`;
		assert.ok(t.present, `section #${s.id} is on the page`);
		if (t.rows === null) {
			assert.equal(rows.size, 0, `${where}: the page shows no table, but the API has rows`);
			continue;
		}
		assert.ok(t.chart, `${where}: an SVG chart with role=img`);
		assert.equal(t.heads.length, s.cols.length + 1, `${where}: columns`);
		if (s.key === null)
			assert.deepEqual(t.rows.map((r) => r.key), trend, `${where}: the trend's periods`);
		else
			for (const k of rows.keys())
				assert.ok(t.rows.some((r) => r.key === k), `${where}: category ${k} is shown`);
		for (const r of t.rows) {
			if (s.key === null) assert.equal(r.label, periodWords(r.key), `${where}: the period's name`);
			assert.equal(r.cells.length, s.cols.length, `${where} ${r.key}: cells`);
			const api = rows.get(r.key);
			s.cols.forEach(([field, unit], c) =>
				assertCell(r.cells[c], api === undefined ? undefined : api[field], unit,
					`${where} ${r.key} ${field}`));
		}
	}
	return tables;
}

// The headline row's sentences ("… steg fra 415 til 266."): which figure
// each names, and the section whose table gives a category's name.
const HEADLINES = [
	[/^Antallet af borgere i forløb$/, 'overview', null, 'citizens', 'count'],
	[/^Andelen med en virksomhedsrettet indsats$/, 'company', null, 'share_with_company', 'share'],
	[/^Løntimerne pr\. uge i gennemsnit$/, 'paid_hours', null, 'mean_paid_hours_week', 'mean'],
	[/^Andelen med sikker fremgang på »(.+)«$/, 'progression', 'udvikling', 'share_improved', 'share'],
	[/^Andelen, der har nået delmålet »(.+)«$/, 'subgoals', 'delmaal', 'share_attained', 'share'],
	[/^Andelen til job eller uddannelse ved »(.+)«$/, 'mix', 'samtidig', 'share_exit_work_or_education', 'share'],
];

// Every sentence of the headline row names a figure of the previous and
// the chosen period as the API gives them, the right way round, and a
// change larger than the protection could make (5 points, or 10 %).
async function assertHeadlines(page, filters, tables) {
	const { period, trend } = chosen(filters);
	const heading = await page.locator('#skift-h').innerText();
	if (trend.length < 2) {
		assert.equal(heading, 'Største ændringer', 'no earlier period to compare with');
		return 0;
	}
	const prev = trend.at(-2);
	assert.equal(heading, `Største ændringer siden ${periodWords(prev)}`);
	const items = await page.locator('#skift li').allInnerTexts();
	assert.ok(items.length <= 4, 'at most four headlines');
	if (items.length === 0) assert.match(await page.locator('#skift').innerText(), /Ingen tal har ændret sig/);
	for (const text of items) {
		const m = /^(.+) (steg|faldt) fra (.+?) til (.+?)\.$/.exec(text);
		assert.ok(m, `a headline in words: ${text}`);
		const rule = HEADLINES.find(([re]) => re.test(m[1]));
		assert.ok(rule, `a headline about a known figure: ${text}`);
		const [re, view, section, field, unit] = rule;
		const keyField = SECTIONS.find((s) => s.view === view).key;
		let key = null;
		if (section) {
			const label = re.exec(m[1])[1];
			const row = tables.find((t) => t.id === section).rows.find((r) => r.label === label);
			assert.ok(row, `»${label}« is a row of #${section}`);
			key = row.key;
		}
		const a = await api(view, { from: prev, to: period, department: filters.department,
			target_group: filters.target_group });
		const rows = breakdown(a.rows, filters).filter((r) => keyField === null || String(r[keyField]) === key);
		const was = rows.find((r) => r.period === prev)?.[field];
		const is = rows.find((r) => r.period === period)?.[field];
		assert.ok(was != null && is != null, `${text}: both figures are shown by the API`);
		assertCell({ text: m[3], prot: false }, was, unit, `${text} (before)`);
		assertCell({ text: m[4], prot: false }, is, unit, `${text} (now)`);
		assert.equal(m[2], is > was ? 'steg' : 'faldt', `${text}: the right way round`);
		if (unit === 'share') assert.ok(Math.abs(is - was) * 100 >= 5 - 1e-9, `${text}: at least 5 points`);
		else assert.ok(Math.abs(is - was) >= 0.1 * was - 1e-9, `${text}: at least 10 %`);
	}
	return items.length;
}

// ------------------------------------------------------------------
// The browser side

// The session cookie of a context, or undefined.
async function sessionCookie(context) {
	return (await context.cookies()).find((c) => c.name === 'fremdrift_session');
}

// Chooses filters through the form and presses "Vis tallene"; the URL
// must then hold them.
async function applyFilters(page, filters) {
	await page.selectOption('#f-period', filters.period ?? quarters.at(-1));
	await page.selectOption('#f-department', filters.department ?? '');
	await page.selectOption('#f-target-group', filters.target_group ?? '');
	await untilLoaded(page, () => page.getByRole('button', { name: 'Vis tallene' }).click());
	assert.equal(new URL(page.url()).pathname, '/dashboard');
	const q = new URL(page.url()).searchParams;
	assert.equal(q.get('period'), filters.period ?? quarters.at(-1), 'the URL holds the period');
	assert.equal(q.get('department') || undefined, filters.department, 'the URL holds the department');
	assert.equal(q.get('target_group') || undefined, filters.target_group, 'the URL holds the target group');
	assert.equal(await page.inputValue('#f-period'), filters.period ?? quarters.at(-1), 'the period stays chosen');
	assert.equal(await page.inputValue('#f-department'), filters.department ?? '', 'the department stays chosen');
	assert.equal(await page.inputValue('#f-target-group'), filters.target_group ?? '',
		'the target group stays chosen');
}

// The smallest department × target group of a period (by the overview),
// where protected values are most likely.
async function smallBreakdown(period) {
	const rows = (await api('overview', { period })).rows
		.filter((r) => r.department !== 'all' && r.target_group !== 'all');
	rows.sort((a, b) => (a.citizens ?? 0) - (b.citizens ?? 0));
	return rows;
}

// A page signed in for tests whose subject is not the sign-in form (the
// form has its own tests): the form's POST sent by the context itself,
// whose cookie jar the pages share. The page at /dashboard?query.
async function signedIn(context, query = '', bearer = token) {
	const r = await context.request.post(`${site.url}/dashboard/login`,
		{ form: { token: bearer, next: query }, maxRedirects: 0 });
	assert.equal(r.status(), 303, 'signing in sends the browser on');
	assert.ok(await sessionCookie(context), 'a session cookie');
	const page = await context.newPage();
	await page.goto(`${site.url}/dashboard${query ? `?${query}` : ''}`);
	assert.match(await page.locator('h1').innerText(), /^Ledelsens tal for /);
	return page;
}

// Signs in on the form and checks the status of the answer to its POST,
// naming the page it led to when it is not the one expected.
async function formSignIn(page, bearer, status, query = '') {
	const answer = await dashSignIn(page, site.url, bearer, query);
	assert.equal(answer.status(), status,
		`the sign-in form answered ${answer.status()}: "${await page.locator('h1').innerText()}"`);
	return answer;
}

// ------------------------------------------------------------------
// Signing in

test('signing in with a dashboard token opens a session in an HttpOnly, SameSite=Strict cookie', async () => {
	const context = await laptop(browser);
	const page = await context.newPage();
	const first = await page.goto(`${site.url}/dashboard`);
	assert.equal(first.status(), 200);
	assertSecurityHeaders(first.headers(), 'the sign-in page');
	assert.equal(await page.locator('#token').getAttribute('type'), 'password');
	assert.equal(await page.locator('table').count(), 0, 'no figures before signing in');

	const answer = await formSignIn(page, token, 303);
	assertSecurityHeaders(answer.headers(), 'the answer to signing in');
	const set = await answer.headerValue('set-cookie');
	assert.match(set, /^fremdrift_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
	assert.equal(new URL(page.url()).pathname, '/dashboard');
	assert.match(await page.locator('h1').innerText(), /^Ledelsens tal for \d\. kvartal \d{4}$/);

	const c = await sessionCookie(context);
	assert.ok(c, 'a session cookie');
	assert.match(c.value, /^[0-9a-f]{64}$/);
	assert.equal(c.httpOnly, true, 'HttpOnly');
	assert.equal(c.sameSite, 'Strict', 'SameSite=Strict');
	assert.equal(c.path, '/');
	const left = c.expires - Date.now() / 1000;
	assert.ok(left > 28800 - 120 && left <= 28800 + 5, `expires in 8 hours (${left} s)`);
	assert.equal(await page.evaluate(() => document.cookie), '', 'the page\'s script cannot read it');

	// The token pasted with blanks around it works too.
	const other = await laptop(browser);
	const p2 = await other.newPage();
	await formSignIn(p2, `  ${token}  `, 303);
	assert.ok(await sessionCookie(other), 'signed in with the blanks trimmed');
	await other.close();
	await context.close();
});

test('signing in keeps the filters asked for before it', async () => {
	const context = await laptop(browser);
	const page = await context.newPage();
	const want = `period=${years.at(-1)}&department=aarhus`;
	await page.goto(`${site.url}/dashboard?${want}`);
	assert.equal(await page.locator('input[type=hidden][name=next]').inputValue(), want, 'the form keeps the query');
	await formSignIn(page, token, 303, want);
	assert.equal(new URL(page.url()).search, `?${want}`);
	assert.equal(await page.locator('h1').innerText(), `Ledelsens tal for ${years.at(-1)}`);
	assert.equal(await page.inputValue('#f-department'), 'aarhus');
	await context.close();
});

test('an ingest token is refused (403) and a wrong one (401), with the reason and no cookie', async () => {
	const context = await laptop(browser);
	const page = await context.newPage();

	const refused = await formSignIn(page, ingestToken, 403);
	assertSecurityHeaders(refused.headers(), 'the 403 sign-in page');
	const alert = page.locator('.error[role=alert]');
	assert.equal(await alert.count(), 1, 'an error in role=alert');
	assert.match(await alert.innerText(), /giver ikke adgang/);
	assert.equal(await page.locator('#token').getAttribute('aria-invalid'), 'true');
	assert.equal(await page.locator('table').count(), 0, 'no figures');
	assert.equal(await sessionCookie(context), undefined, 'no cookie for an ingest token');

	await formSignIn(page, `${token.slice(0, -4)}0000`, 401);
	assert.equal(await page.locator('.error[role=alert]').count(), 1);
	assert.match(await page.locator('.error[role=alert]').innerText(), /ikke genkendt/);
	assert.equal(await page.locator('table').count(), 0, 'no figures');
	assert.equal(await sessionCookie(context), undefined, 'no cookie for a wrong token');

	// Not through the API either: the ingest token reads no figures.
	const r = await fetch(`${site.url}/api/v1/dashboard/overview`,
		{ headers: { authorization: `Bearer ${ingestToken}` } });
	assert.equal(r.status, 403);
	await context.close();
});

// ------------------------------------------------------------------
// The figures

test('each filter through the form: the URL holds it and every figure is the API\'s', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	assert.equal(await page.inputValue('#f-period'), quarters.at(-1), 'the latest quarter by default');
	assert.equal(await page.inputValue('#f-department'), '');
	assert.equal(await page.inputValue('#f-target-group'), '');
	await assertMatchesApi(page, {});

	const year = years.at(-1);
	const views = [
		{ period: year },
		// A quarter with fewer than 8 published before it: a shorter trend.
		{ period: quarters[4] },
		{ period: year, department: 'odense' },
		{ period: quarters.at(-2), department: 'aarhus', target_group: 'sick_listed' },
		{ target_group: 'youth_autism' },
		{},
	];
	let headlines = await assertHeadlines(page, {}, await readTables(page));
	for (const f of views) {
		await applyFilters(page, f);
		headlines += await assertHeadlines(page, f, await assertMatchesApi(page, f));
		const csv = await page.locator('a[href^="/dashboard/csv"]').getAttribute('href');
		const q = new URL(csv, site.url).searchParams;
		assert.equal(q.get('period'), f.period ?? quarters.at(-1), 'the CSV link is for the period shown');
		assert.equal(q.get('department') ?? undefined, f.department, 'the CSV link is for the department shown');
		assert.equal(q.get('target_group') ?? undefined, f.target_group,
			'the CSV link is for the target group shown');
	}
	assert.match(await page.locator('.sub').innerText(), /^Alle afdelinger · Alle målgrupper\./,
		'the sub-heading names the breakdown');
	assert.ok(headlines > 0, 'some headline was checked');

	// A bookmarked view: the same URL in a fresh page shows the same.
	const f = { period: years.at(-2), department: 'esbjerg', target_group: 'activity_ready' };
	const again = await context.newPage();
	await again.goto(`${site.url}/dashboard?period=${f.period}&department=${f.department}&target_group=${f.target_group}`);
	await assertMatchesApi(again, f);
	assert.match(await again.locator('.sub').innerText(), /^Esbjerg · Aktivitetsparate\./);
	await context.close();
});

test('a protected value is shown as protected, with the protection named', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	const period = quarters.at(-1);
	// The smallest department × target group whose figures hold both a
	// protected count and a protected share.
	let found = null;
	for (const b of await smallBreakdown(period)) {
		const f = { period, department: b.department, target_group: b.target_group };
		const want = await expected(f);
		const nulls = [];
		for (const s of SECTIONS)
			for (const [k, r] of want[s.id])
				for (const [field, unit] of s.cols)
					if (r && r[field] === null) nulls.push({ s, k, field, unit, c: s.cols.findIndex((x) => x[0] === field) });
		if (nulls.some((n) => n.unit === 'count') && nulls.some((n) => n.unit === 'share')) {
			found = { f, nulls };
			break;
		}
	}
	assert.ok(found, 'some department × target group has protected figures');
	await applyFilters(page, found.f);
	const tables = await assertMatchesApi(page, found.f);
	for (const n of found.nulls) {
		const row = tables.find((t) => t.id === n.s.id).rows.find((r) => r.key === n.k);
		const cell = row.cells[n.c];
		assert.ok(cell.prot, `${n.s.id} ${n.k} ${n.field} is a td.prot`);
		assert.equal(cell.text, n.unit === 'count' ? `færre end ${protection.min_cell}` : 'skjult');
	}
	// The same cell as the browser shows it: italic, and readable.
	const td = page.locator(`#${found.nulls[0].s.id}-tabel tr[data-key="${found.nulls[0].k}"] td`)
		.nth(found.nulls[0].c);
	assert.equal(await td.evaluate((e) => getComputedStyle(e).fontStyle), 'italic');

	const note = await page.locator('#beskyttelse').innerText();
	assert.ok(note.includes(`aldrig mere end ${protection.noise_max}`), `the note names noise_max: ${note}`);
	assert.ok(note.includes(`tal under ${protection.min_cell}`), `the note names min_cell: ${note}`);
	assert.ok(note.includes(`færre end ${protection.min_cell}`), 'the note shows the word for a hidden count');
	assert.ok(note.includes(`typisk ${Math.round(protection.noise_sd)}`), 'the note names the typical noise');
	assert.match(note, /skjult/, 'the note shows the word for a hidden share');
	await context.close();
});

// ------------------------------------------------------------------
// What foretells a good exit (issue 18)

const VALIDITY_TITLE = 'Hvad peger på et godt udfald?';
const WORDS = { strong: 'stærkt', moderate: 'middel', weak: 'svagt', none: 'ikke', opposite: 'modsat' };
const SCORES = ['start', 'latest', 'change'];

// The section as the page shows it: its words, the test cohorts in
// words (from the intro), the table's heads and rows.
function readValidity(page) {
	return page.evaluate(() => {
		const s = document.getElementById('udfald');
		const t = document.getElementById('udfald-tabel');
		const intro = s?.querySelector('p')?.textContent ?? '';
		return {
			present: !!s,
			title: s?.querySelector('h2')?.textContent ?? null,
			text: s?.innerText ?? '',
			cohorts: /startede (.+?) og var slut før/.exec(intro)?.[1] ?? null,
			heads: t ? [...t.querySelectorAll('thead th')].map((th) => th.textContent) : [],
			rows: t ? [...t.querySelectorAll('tbody tr')].map((tr) => ({
				key: tr.getAttribute('data-key'),
				label: tr.querySelector('th[scope=row]').textContent,
				cells: [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent,
					strength: td.getAttribute('data-strength') })),
			})) : [],
		};
	});
}

// What report.validity (the analysts' view, read as the owner) says
// about a good exit at course end: the rows with a figure.
function validityFromReport() {
	const out = site.sql(`SELECT json_agg(json_build_object('key', instrument || '/' || predictor,
		'score', score, 'strength', strength, 'c', round(c_statistic::numeric, 2), 'n', n))
		FROM report.validity WHERE outcome = 'exit' AND c_statistic IS NOT NULL`);
	return JSON.parse(out || '[]');
}

async function assertValidityMatchesReport(page, what) {
	const v = await readValidity(page);
	const want = validityFromReport();
	const minN = Number(site.sql('SELECT min_n FROM report.validity_run'));
	assert.ok(v.present, `${what}: the section is on the page`);
	assert.equal(v.title, VALIDITY_TITLE);
	assert.ok(want.length >= 10, `${what}: report.validity has figures (${want.length})`);
	assert.deepEqual(v.heads, ['Område', 'Ved start', 'Seneste svar', 'Udvikling']);
	let shown = 0;
	for (const r of v.rows)
		r.cells.forEach((cell, i) => {
			const w = want.find((x) => x.key === r.key && x.score === SCORES[i]);
			if (!w) {
				assert.equal(cell.text, '–', `${what}: ${r.key} ${SCORES[i]} has no figure in report.validity`);
				return;
			}
			shown++;
			assert.ok(w.n >= minN, `${what}: ${r.key} ${SCORES[i]} rests on at least ${minN} courses`);
			assert.equal(cell.strength, w.strength, `${what}: ${r.key} ${SCORES[i]}: report.validity says ${w.strength}`);
			assert.equal(cell.text, `${WORDS[w.strength]} (${w.c.toFixed(2).replace('.', ',')})`,
				`${what}: ${r.key} ${SCORES[i]} in words and figures`);
		});
	assert.equal(shown, want.length, `${what}: every figure of report.validity is on the page, once`);
	return v;
}

test('what foretells a good exit: the summary in words, as report.validity says, whatever the filter', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	const v = await assertValidityMatchesReport(page, 'the page');
	// The relation built into the synthetic data (ingest/synth.c,
	// outcome_score) is found: the latest self-belief score is named.
	const tro = v.rows.find((r) => r.key === 'borger/tro');
	assert.ok(tro, 'a row for the self-belief dimension');
	assert.match(tro.label, /\(borgerens svar\)$/);
	assert.match(tro.cells[1].strength, /^(strong|moderate)$/, 'the latest self-belief score foretells the exit');
	assert.ok(v.rows.some((r) => r.key === 'job_chance_rated/job_chance'), 'the consultant\'s rating has a row');
	assert.match(v.text, /Tydeligst: .+\((stærkt|middel|svagt), \d,\d\d\)\./, 'the clearest sign is named');
	assert.match(v.text, /Tallene gælder alle afdelinger og målgrupper/);
	assert.ok(v.cohorts && /kvartal \d{4}/.test(v.cohorts), `the test cohorts in words (${v.cohorts})`);
	assert.ok(v.text.includes(`færre end ${site.sql('SELECT min_n FROM report.validity_run')} forløb`),
		'the minimum is named');
	// The same whatever is chosen above it: the whole provider's.
	await applyFilters(page, { period: years.at(-1), department: 'esbjerg', target_group: 'youth_autism' });
	const again = await assertValidityMatchesReport(page, 'a filtered page');
	assert.deepEqual(again.rows, v.rows, 'the same summary under any filter');
	assert.ok(await page.locator('nav.toc a[href="#udfald"]').isVisible(), 'the contents link to it');
	await context.close();
});

// ------------------------------------------------------------------
// CSV and print

// RFC 4180 with ';': fields, quotes doubled inside quotes, CRLF lines.
function parseCsv(text) {
	const rows = [];
	let row = [], field = '', quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
			else if (ch === '"') quoted = false;
			else field += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ';') { row.push(field); field = ''; }
		else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
		else field += ch;
	}
	assert.equal(field, '', 'the CSV ends with CRLF');
	assert.equal(row.length, 0, 'the CSV ends with CRLF');
	return rows;
}

async function assertCsvMatchesPage(page, filters) {
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.locator('a[href^="/dashboard/csv"]').click(),
	]);
	assert.match(download.suggestedFilename(), /^fremdrift-.*\.csv$/);
	const bytes = readFileSync(await download.path());
	assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte-order mark');
	const text = bytes.subarray(3).toString('utf8');
	assert.ok(!/[^\r]\n/.test(text), 'every line ends with CRLF');
	const [head, ...rows] = parseCsv(text);
	assert.deepEqual(head, ['Afsnit', 'Periode', 'Afdeling', 'Målgruppe', 'Række', 'Mål', 'Værdi', 'Vist som']);
	for (const r of rows) assert.equal(r.length, 8, `8 fields: ${r.join(';')}`);

	const { period } = chosen(filters);
	const dep = await page.locator('#f-department option:checked').innerText();
	const tg = await page.locator('#f-target-group option:checked').innerText();
	const tables = await readTables(page);
	const index = new Map(rows.map((r) => [r.slice(0, 6).join('\u0001'), r]));
	let cells = 0;
	for (const t of tables) {
		if (!t.rows) continue;
		const s = SECTIONS.find((x) => x.id === t.id);
		for (const r of t.rows)
			r.cells.forEach((cell, c) => {
				cells++;
				const key = [t.title, s.key === null ? r.label : periodWords(period), dep, tg, r.label, t.heads[c + 1]];
				const line = index.get(key.join('\u0001'));
				assert.ok(line, `a CSV row for ${key.join(' / ')}`);
				assert.equal(line[7], cell.text, `"Vist som" is the cell's text (${key.join(' / ')})`);
				// The value for a spreadsheet: the shown number without
				// thousands separators or %, empty for a hidden one.
				const want = cell.prot || cell.text === '–' ? '' : cell.text.replace(' %', '').replaceAll('.', '');
				assert.equal(line[6], want, `"Værdi" (${key.join(' / ')})`);
			});
	}
	// What foretells a good exit: the whole provider's, whatever the
	// filters, for the test cohorts' quarters.
	const v = await readValidity(page);
	for (const r of v.rows)
		r.cells.forEach((cell, c) => {
			cells++;
			const key = [VALIDITY_TITLE, v.cohorts, 'Alle afdelinger', 'Alle målgrupper', r.label, v.heads[c + 1]];
			const line = index.get(key.join('\u0001'));
			assert.ok(line, `a CSV row for ${key.join(' / ')}`);
			assert.equal(line[7], cell.text, `"Vist som" is the cell's text (${key.join(' / ')})`);
			assert.equal(line[6], cell.text === '–' ? '' : /\((\d,\d\d)\)$/.exec(cell.text)[1],
				`"Værdi" is the C-statistic (${key.join(' / ')})`);
		});
	assert.ok(cells > 50, `the page has figures (${cells})`);
	assert.equal(rows.length, cells, 'one CSV row per table cell, no more');
	return download;
}

test('the CSV download holds every figure of the page, as shown', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	await assertCsvMatchesPage(page, {});
	const f = { period: years.at(-1), department: 'koebenhavn', target_group: 'youth_psychiatric' };
	await applyFilters(page, f);
	const download = await assertCsvMatchesPage(page, f);
	assert.equal(download.suggestedFilename(), `fremdrift-${f.period}-${f.department}-${f.target_group}.csv`);

	// Its headers, read with the same session.
	const href = await page.locator('a[href^="/dashboard/csv"]').getAttribute('href');
	const r = await context.request.get(`${site.url}${href}`);
	assert.equal(r.status(), 200);
	assert.match(r.headers()['content-type'], /^text\/csv; charset=utf-8/);
	assert.match(r.headers()['content-disposition'] ?? '', /^attachment; filename="fremdrift-/);
	assertSecurityHeaders(r.headers(), 'the CSV');
	// Without a session there are no figures to download.
	const anon = await fetch(`${site.url}${href}`);
	assert.ok(!(anon.headers.get('content-type') ?? '').startsWith('text/csv'), 'no CSV without a session');
	await context.close();
});

test('print: filters, actions and the sign-out bar are hidden; the page prints to several A4 pages', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	// The print button is there where the script runs, and prints.
	const print = page.locator('[data-print]');
	assert.ok(await print.isVisible(), 'the print button is shown');
	await page.evaluate(() => { window.print = () => { window.printed = true; }; });
	await print.click();
	assert.equal(await page.evaluate(() => window.printed), true, 'the print button prints');

	// Laid out as on A4 within the print stylesheet's margins (210 mm less
	// 2 × 14 mm = 182 mm, 688 CSS px).
	await page.setViewportSize({ width: 688, height: 1000 });
	await page.emulateMedia({ media: 'print' });
	for (const sel of ['form.filters', 'p.actions', 'header.bar', 'nav.toc', 'a.skip'])
		assert.equal(await page.locator(sel).isVisible(), false, `${sel} is not printed`);
	for (const s of SECTIONS) {
		assert.ok(await page.locator(`#${s.id} svg.bars`).isVisible(), `#${s.id}'s chart is printed`);
		assert.ok(await page.locator(`#${s.id}-tabel`).isVisible(), `#${s.id}'s table is printed`);
	}
	assert.ok(await page.locator('#beskyttelse').isVisible(), 'the note on protection is printed');
	assert.ok(await page.locator('#udfald-tabel').isVisible(), 'what foretells a good exit is printed');
	// Paper does not scroll: a table wider than its box loses columns.
	const cut = await page.evaluate(() => [...document.querySelectorAll('.scroll')]
		.filter((e) => e.scrollWidth > e.clientWidth + 1)
		.map((e) => `#${e.querySelector('table').id} (${e.scrollWidth} px in ${e.clientWidth})`));
	assert.deepEqual(cut, [], 'every table fits the printed page, no column cut off');
	const pdf = await page.pdf({ format: 'A4' });
	assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
	const raw = pdf.toString('latin1');
	const pages = (raw.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
	assert.ok(pages > 1, `several pages (${pages})`);
	const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(raw);
	assert.ok(box, 'a MediaBox');
	assert.ok(Math.abs(Number(box[1]) - 595.3) < 2 && Math.abs(Number(box[2]) - 841.9) < 2,
		`A4 pages (${box[1]} × ${box[2]} pt)`);
	await context.close();
});

// ------------------------------------------------------------------
// Accessibility

async function check(page, what) {
	await assertPageShape(page, what);
	await assertAxe(page, what);
	await assertReflows(page, what);
}

test('axe-core finds nothing on any state of the page, on a laptop, a tablet and at 320 px', async () => {
	for (const [screen, make] of [['laptop', laptop], ['tablet', tablet]]) {
		const context = await make(browser, axeOptions);
		const page = await context.newPage();
		let r = await page.goto(`${site.url}/dashboard`);
		assert.equal(r.status(), 200);
		await check(page, `the sign-in page (${screen})`);
		await formSignIn(page, 'fr_not_a_token', 401);
		await check(page, `the sign-in page, unknown token (${screen})`);
		await formSignIn(page, ingestToken, 403);
		await check(page, `the sign-in page, ingest token (${screen})`);
		await formSignIn(page, token, 303);
		await check(page, `the page (${screen})`);
		await applyFilters(page, { period: years.at(-1), department: 'aalborg', target_group: 'sick_listed' });
		await check(page, `a filtered page (${screen})`);
		const small = (await smallBreakdown(quarters.at(-1)))[0];
		await applyFilters(page, { department: small.department, target_group: small.target_group });
		await check(page, `the smallest department × target group (${screen})`);
		r = await page.goto(`${site.url}/dashboard?period=1999`);
		assert.equal(r.status(), 400);
		assertSecurityHeaders(r.headers(), 'the 400 page');
		await check(page, `a 400 page (${screen})`);
		r = await page.goto(`${site.url}/dashboard?department=Aarhus`);
		assert.equal(r.status(), 400);
		await check(page, `a 400 page, a badly written filter (${screen})`);
		r = await page.goto(`${site.url}/dashboard/nothing`);
		assert.equal(r.status(), 404);
		await check(page, `a 404 page (${screen})`);
		await page.goto(`${site.url}/dashboard`);
		await untilLoaded(page, () => page.getByRole('button', { name: 'Log ud' }).click());
		assert.match(await page.locator('main').innerText(), /Du er logget ud/);
		await check(page, `the signed-out page (${screen})`);
		await context.close();
	}
	// And at 320 px (a 1280 px window at 400 % zoom): the page reflows,
	// its tables scroll inside their own region.
	const context = await phone(browser, { ...axeOptions, ...zoomed });
	const page = await signedIn(context);
	await check(page, 'the page at 320 px');
	await applyFilters(page, { period: years.at(-1), department: 'odense', target_group: 'activity_ready' });
	await check(page, 'a filtered page at 320 px');
	await context.close();
});

// What has the focus now, and does it show?
const focused = (page) => page.evaluate(() => {
	const e = document.activeElement;
	const s = getComputedStyle(e);
	return { tag: e.tagName, id: e.id, text: (e.innerText ?? '').trim(), value: e.value ?? '',
		visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none' };
});

test('keyboard only: sign in, the skip link, the filters in order, a department chosen and shown', async () => {
	const context = await laptop(browser);
	const page = await context.newPage();
	await page.goto(`${site.url}/dashboard`);
	await page.keyboard.press('Tab');
	let f = await focused(page);
	assert.equal(f.text, 'Gå til indholdet', 'Tab goes to the skip link first');
	assert.ok(f.visible, 'the skip link shows its focus');
	await page.keyboard.press('Tab');
	f = await focused(page);
	assert.equal(f.id, 'token', 'then the token field');
	assert.ok(f.visible, 'the token field shows its focus');
	await page.keyboard.type(token);
	await untilLoaded(page, () => page.keyboard.press('Enter'));
	assert.equal(page.url(), `${site.url}/dashboard`);
	assert.match(await page.locator('h1').innerText(), /^Ledelsens tal for /, 'Enter in the token field signs in');

	// From the top: the skip link, "Log ud", the three filters, the button.
	await page.goto(`${site.url}/dashboard`);
	const stops = [];
	for (let i = 0; i < 6; i++) {
		await page.keyboard.press('Tab');
		stops.push(await focused(page));
	}
	assert.deepEqual(stops.map((s) => s.id || s.text),
		['Gå til indholdet', 'Log ud', 'f-period', 'f-department', 'f-target-group', 'Vis tallene']);
	for (const s of stops) assert.ok(s.visible, `the focus on ${s.id || s.text} is visible`);

	// Enter on the skip link takes the focus to the heading.
	for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+Tab');
	assert.equal((await focused(page)).text, 'Gå til indholdet');
	await page.keyboard.press('Enter');
	assert.equal((await focused(page)).id, 'h', 'the skip link leads to the h1');

	// A department by the keyboard: Tab to it, the arrow key, Tab to
	// "Vis tallene", Enter.
	await page.keyboard.press('Tab');
	await page.keyboard.press('Tab');
	assert.equal((await focused(page)).id, 'f-department');
	await page.keyboard.press('ArrowDown');
	const dep = await page.inputValue('#f-department');
	assert.notEqual(dep, '', 'the arrow key chose a department');
	assert.equal(new URL(page.url()).search, '', 'choosing alone does not leave the page');
	await page.keyboard.press('Tab');
	await page.keyboard.press('Tab');
	assert.equal((await focused(page)).text, 'Vis tallene');
	await untilLoaded(page, () => page.keyboard.press('Enter'));
	assert.equal(new URL(page.url()).searchParams.get('department'), dep);
	await assertMatchesApi(page, { department: dep });

	// Enter on a select opens its list, the arrow key moves, Enter
	// chooses; then Tab to "Vis tallene" and Enter.
	await page.locator('#f-target-group').focus();
	const before = page.url();
	await page.keyboard.press('Enter');
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('Enter');
	const tg = await page.inputValue('#f-target-group');
	assert.notEqual(tg, '', 'Enter, the arrow key and Enter chose a target group');
	assert.equal(page.url(), before, 'choosing alone does not leave the page');
	await page.keyboard.press('Tab');
	assert.equal((await focused(page)).text, 'Vis tallene');
	await untilLoaded(page, () => page.keyboard.press('Enter'));
	assert.equal(new URL(page.url()).searchParams.get('target_group'), tg);
	assert.equal(await page.inputValue('#f-department'), dep);
	assert.equal(await page.inputValue('#f-target-group'), tg);

	// A table that may scroll sideways can be reached and shows its focus.
	const region = page.locator('#udvikling .scroll');
	await region.focus();
	assert.ok((await focused(page)).visible, 'a table\'s scroll region shows its focus');

	// And out: "Log ud" with the keyboard.
	await page.locator('header.bar button').focus();
	await untilLoaded(page, () => page.keyboard.press('Enter'));
	assert.equal(page.url(), `${site.url}/dashboard/logout`);
	assert.match(await page.locator('main').innerText(), /Du er logget ud/);
	await context.close();
});

// ------------------------------------------------------------------
// Sessions

test('signing out ends the session: the old cookie shows the sign-in page, not figures', async () => {
	const context = await laptop(browser);
	const page = await signedIn(context);
	const old = await sessionCookie(context);
	assert.ok(old);

	// GET / with a session goes to the dashboard.
	const root = await fetch(`${site.url}/`, { headers: { cookie: `fremdrift_session=${old.value}` },
		redirect: 'manual' });
	assert.equal(root.status, 303);
	assert.equal(root.headers.get('location'), '/dashboard');
	await page.goto(`${site.url}/`);
	assert.equal(new URL(page.url()).pathname, '/dashboard', 'the browser at / lands on /dashboard');
	assert.ok(await page.locator('#forloeb-tabel').isVisible());
	// Without one, / is not the dashboard.
	const plain = await fetch(`${site.url}/`, { redirect: 'manual' });
	assert.notEqual(plain.status, 303);

	const posted = page.waitForResponse((r) => r.url() === `${site.url}/dashboard/logout`);
	await untilLoaded(page, () => page.getByRole('button', { name: 'Log ud' }).click());
	const out = await posted;
	assert.equal(out.status(), 200);
	assertSecurityHeaders(out.headers(), 'the signed-out page');
	assert.match(await out.headerValue('set-cookie'), /^fremdrift_session=; .*Max-Age=0/);
	assert.match(await page.locator('main').innerText(), /Du er logget ud/);
	assert.equal(await sessionCookie(context), undefined, 'the browser forgot the cookie');
	await page.goto(`${site.url}/dashboard`);
	assert.equal(await page.locator('#token').count(), 1, 'signed out: the sign-in form');
	assert.equal(await page.locator('table').count(), 0);

	// The old cookie, put back by hand in a fresh browser, opens nothing.
	const thief = await laptop(browser);
	await thief.addCookies([{ name: 'fremdrift_session', value: old.value, url: site.url }]);
	const p2 = await thief.newPage();
	const r = await p2.goto(`${site.url}/dashboard?period=${years.at(-1)}`);
	assert.equal(r.status(), 200);
	assert.equal(await p2.locator('#token').count(), 1, 'the sign-in form, not figures');
	assert.equal(await p2.locator('table').count(), 0);
	assert.equal(await p2.locator('#beskyttelse').count(), 0);
	const csv = await thief.request.get(`${site.url}/dashboard/csv?period=${years.at(-1)}`);
	assert.ok(!csv.headers()['content-type'].startsWith('text/csv'), 'no CSV with the old cookie');
	await thief.close();
	await context.close();
});

test('revoking a token ends its sessions, and only its', async () => {
	const board = site.run(['token', 'create', '--source', 'board', '--role', 'dashboard']);
	const mine = await laptop(browser);
	const p1 = await signedIn(mine, '', board);
	assert.ok(await p1.locator('#forloeb-tabel').isVisible());
	const other = await laptop(browser);
	const p2 = await signedIn(other);

	site.run(['token', 'revoke', '--source', 'board']);
	await p1.reload();
	assert.equal(await p1.locator('#token').count(), 1, 'the revoked token\'s session shows the sign-in form');
	assert.equal(await p1.locator('table').count(), 0);
	await p2.reload();
	assert.ok(await p2.locator('#forloeb-tabel').isVisible(), 'another token\'s session goes on');
	// And the revoked token cannot sign in again.
	const again = await mine.request.post(`${site.url}/dashboard/login`,
		{ form: { token: board, next: '' }, maxRedirects: 0 });
	assert.equal(again.status(), 401);
	await mine.close();
	await other.close();
});

test('a session ends after an hour without use, and after 8 hours: the sign-in page says so', async () => {
	for (const [what, set] of [['an hour idle', "last_seen = now() - interval '61 minutes'"],
		['8 hours', "expires_at = now() - interval '1 second'"]]) {
		const context = await laptop(browser, axeOptions);
		const page = await signedIn(context);
		const id = (await sessionCookie(context)).value;
		site.sql(`UPDATE fremdrift.web_sessions SET ${set} WHERE id_sha256 = decode('${sha256hex(id)}', 'hex')`);
		const r = await page.reload();
		assert.equal(r.status(), 200);
		assert.match(await page.locator('#note').innerText(), /Du var logget ud/, what);
		assert.equal(await page.locator('#token').count(), 1, `${what}: the sign-in form`);
		assert.equal(await page.locator('table').count(), 0, `${what}: no figures`);
		assert.match(await r.headerValue('set-cookie'), /^fremdrift_session=; .*Max-Age=0/, `${what}: the cookie is cleared`);
		await check(page, `the sign-in page after ${what}`);
		await context.close();
	}
});

// ------------------------------------------------------------------
// Headers, requests, URLs

test('security headers, requests only to the server, no token or session id in a URL or the log', async () => {
	const context = await tablet(browser);
	const urls = watchRequests(context);
	const page = await context.newPage();
	const answer = await formSignIn(page, token, 303);
	const session = (await sessionCookie(context)).value;
	let r = await page.goto(`${site.url}/dashboard`);
	assertSecurityHeaders(r.headers(), 'the page');
	await applyFilters(page, { period: years.at(-1), department: 'aarhus' });
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.locator('a[href^="/dashboard/csv"]').click(),
	]);
	await download.path();
	r = await page.goto(`${site.url}/dashboard?period=1999`);
	assertSecurityHeaders(r.headers(), 'a 400 page');
	r = await page.goto(`${site.url}/dashboard`);
	await untilLoaded(page, () => page.getByRole('button', { name: 'Log ud' }).click());

	assertOnlyServer(urls, site.url);
	for (const u of [...urls, answer.url(), page.url()])
		for (const secret of [token, token.slice(3), session])
			assert.ok(!u.includes(secret), `no token or session id in ${u}`);
	const log = readFileSync(site.log, 'utf8');
	assert.ok(log.includes('dashpage'), 'the server logged the sign-in');
	for (const secret of [token, token.slice(3), session, ingestToken])
		assert.ok(!log.includes(secret), 'no token or session id in the server\'s log');
	await context.close();
});
