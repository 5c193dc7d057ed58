// The consultant rates the citizen through a link: the konsulent items
// one dimension a screen (k01 is the job-chance rating, 1–5 in its own
// words), then Goal Attainment Scaling: sub-goals chosen with a weight
// (1–3) and rated −2…+2, every level in words. Stored as one response and
// as goal_set, goal_rated and job_chance_rated events for the course.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoCpr, launch, phone } from './lib/browser.mjs';
import { answersFor, begin, choose, konsulent, next, screenNumber, send, stored } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('consultant');
	site.startCourse('K-1');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

test('a consultant rates the items, sets sub-goals with weights and rates them', async () => {
	const link = site.invite('K-1', 'consultant');
	// A laptop, not a phone.
	const context = await phone(browser, { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1,
		isMobile: false, hasTouch: false });
	const page = await context.newPage();
	const answers = answersFor(konsulent, (item, i) => 1 + (i % 5));
	const goals = { w_belief: 3, l_belief: 1, w_skills: 1, l_skills: -1 };

	await begin(page, link);
	assert.match(await page.locator('h1').innerText(), /Side 1 af \d+/);
	// The job chance in k01's own words.
	for (const word of konsulent.items[0].labels.da)
		assert.equal(await page.getByLabel(word, { exact: true }).count(), 1, `"${word}" on the job-chance screen`);

	let goalScreen = false;
	while (screenNumber(page) !== null) {
		if (await page.locator('input[name=w_belief]').count()) {
			goalScreen = true;
			// Every weight and level spelled out in words.
			for (const word of ['Lidt vigtigt', 'Vigtigt', 'Meget vigtigt', 'Meget mindre end forventet',
				'Som forventet', 'Meget mere end forventet'])
				assert.ok(await page.getByLabel(word, { exact: true }).count() > 0, `"${word}"`);
			await choose(page, goals);
		}
		await choose(page, answers);
		await next(page);
	}
	assert.ok(goalScreen, 'there is a sub-goal screen');
	const review = await page.locator('main').innerText();
	assert.match(review, /Meget vigtigt/);
	assert.match(review, /Mere end forventet/);
	await send(page);
	await assertNoCpr(page);
	const progress = await page.locator('main').innerText();
	assert.match(progress, /Borgerens udvikling/, 'the consultant sees the citizen\'s progress');
	assert.match(progress, /Dine egne vurderinger/, 'and then their own rounds');
	assert.ok(progress.indexOf('Borgerens udvikling') < progress.indexOf('Dine egne vurderinger'));

	assert.deepEqual(site.responses('konsulent'), [stored(konsulent, answers)]);
	const p = site.pseudonym();
	const events = site.sql(`SELECT type || ':' || coalesce(goal, '') || ':' || coalesce(weight::text, '')
		|| ':' || coalesce(level::text, '') FROM fremdrift.events WHERE source = 'link'
		AND pseudonym = decode('${p}', 'hex') ORDER BY 1`).split('\n');
	assert.deepEqual(events, [
		'goal_rated:belief::1', 'goal_rated:skills::-1',
		'goal_set:belief:3:', 'goal_set:skills:1:',
		`job_chance_rated:::${answers[konsulent.items[0].id]}`,
	]);
	await context.close();
});
