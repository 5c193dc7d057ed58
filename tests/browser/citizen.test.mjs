// A citizen answers all 24 items on a phone and the response is stored
// once, under the course's pseudonym; every page on the way carries the
// security headers, loads nothing from anywhere else and shows no CPR.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { assertNoCpr, assertOnlyServer, assertPageShape, assertSecurityHeaders, launch,
	phone, watchRequests } from './lib/browser.mjs';
import { answersFor, begin, borger, next, choose, screenNumber, send, stored } from './lib/flow.mjs';
import { sha256hex, startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('citizen');
	site.startCourse('K-1');
	site.startCourse('K-2');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

test('all 24 items on a 360×740 screen, stored under the right pseudonym', async () => {
	assert.equal(borger.items.length, 24);
	const link = site.invite('K-1');
	const context = await phone(browser);
	const urls = watchRequests(context);
	const page = await context.newPage();
	const pages = [];
	page.on('response', (r) => {
		if (r.request().isNavigationRequest()) pages.push([r.url(), r.headers()]);
	});
	// Every value of the scale, "Spring over" included.
	const answers = answersFor(borger, (item, i) => i % 6);

	await begin(page, link);
	assert.equal(screenNumber(page), 1);
	await assertPageShape(page, 'the first screen');
	const bar = page.locator('progress');
	assert.equal(await bar.count(), 1, 'a <progress> on the screen');
	assert.match(await page.locator('main').innerText(), /Spørgsmål 1 af 24/);
	const legend = await page.locator('fieldset legend').first().innerText();
	assert.ok(legend.includes(borger.items[0].text.da), 'the legend holds the question');
	for (const [i, word] of borger.scale.labels.da.entries())
		assert.match(await page.locator(`label:has(input[value="${i + 1}"])`).first().innerText(),
			new RegExp(word), `the scale word "${word}" on its answer`);
	assert.match(await page.locator('label:has(input[value="0"])').first().innerText(), /Spring over/i);

	let screens = 0;
	while (screenNumber(page) !== null) {
		await assertNoCpr(page);
		await choose(page, answers);
		await next(page);
		screens++;
	}
	assert.equal(screens, 24, 'one item per screen');
	assert.match(await page.locator('h1').innerText(), /Et sidste kig/);
	// The review names every answer in words, with a "Ret" link for each.
	assert.equal(await page.getByRole('link', { name: /^Ret/ }).count(), 24);
	await send(page);
	assert.match(await page.locator('h1').innerText(), /Din udvikling/);
	await assertNoCpr(page);

	assert.deepEqual(site.responses(), [stored(borger, answers)],
		'one response, under the pseudonym of the course\'s CPR number');
	assertOnlyServer(urls, site.url);
	assert.ok(pages.length >= 27, 'welcome, 24 screens, review and progress were seen');
	for (const [url, headers] of pages.filter(([u]) => u.includes('/l/')))
		assertSecurityHeaders(headers, new URL(url).pathname.replace(/\/l\/[^/]+/, '/l/…'));
	await context.close();
});

test('POSTs from another site are refused (CSRF)', async () => {
	const link = site.invite('K-2');
	const res = await fetch(`${link}/send`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example',
			'Sec-Fetch-Site': 'cross-site' },
		body: 'go=send&csrf=00',
		redirect: 'manual',
	});
	assert.equal(res.status, 403);
	const wrongCsrf = await fetch(`${link}/q/1`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: 'b01=3&go=next&csrf=0123456789abcdef0123456789abcdef',
		redirect: 'manual',
	});
	assert.equal(wrongCsrf.status, 403, 'a wrong csrf is refused');
});

test('the server\'s log does not hold the token', async () => {
	const link = site.invite('K-2');
	for (const path of ['', '/q/1', '/se', '/udvikling', '/q/99']) await fetch(`${link}${path}`);
	await fetch(`${link}/q/1`, { method: 'POST', body: 'b01=1&go=next&csrf=0' });
	assert.ok(!readFileSync(site.log, 'utf8').includes(site.token(link)));
});

test('a browser that prefers English gets the pages in English', async () => {
	site.startCourse('K-en');
	const link = site.invite('K-en');
	const context = await phone(browser, { locale: 'en-GB' });
	const page = await context.newPage();
	await page.goto(link);
	assert.equal(await page.getAttribute('html', 'lang'), 'en');
	assert.match(await page.locator('h1').innerText(), new RegExp(borger.title.en));
	await page.getByRole('link', { name: 'Start' }).click();
	assert.match(await page.locator('main').innerText(), /Question 1 of 24/);
	assert.ok((await page.locator('fieldset legend').innerText()).includes(borger.items[0].text.en));
	await context.close();
});

test('with JavaScript, a tap saves the answer at once and moves on to the next screen', async () => {
	site.startCourse('K-tap');
	const link = site.invite('K-tap');
	const context = await phone(browser, { reducedMotion: 'no-preference' });
	const page = await context.newPage();
	const refused = [];
	page.on('console', (m) => /Content Security Policy/.test(m.text()) && refused.push(m.text()));
	const saves = [];
	page.on('response', (r) => r.url().endsWith('/a') && saves.push(r.status()));
	await begin(page, link);
	const item = borger.items[0].id;
	await page.locator(`label:has(input[name="${item}"][value="4"])`).tap();
	await page.waitForURL(/\/q\/2(?:[?#]|$)/);
	assert.deepEqual(refused, [], 'the page\'s own CSP lets its script save');
	assert.deepEqual(saves, [204], 'the answer was saved at once (POST /a)');
	const draft = site.sql(`SELECT draft->'answers'->>'${item}' FROM fremdrift.invitations
		WHERE token_hash = decode('${sha256hex(site.token(link))}', 'hex')`);
	assert.equal(draft, '4', 'the draft holds the tapped answer');
	await context.close();
});
