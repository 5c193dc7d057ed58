// With JavaScript turned off the questionnaire is plain HTML forms and
// works to the end: answers, "Tilbage", review, "Ret", send.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, phone } from './lib/browser.mjs';
import { answerThrough, answersFor, begin, borger, choose, next, screenNumber, send,
	stored } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('nojs');
	site.startCourse('K-1');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

test('JavaScript disabled: answered through to the end and stored', async () => {
	const link = site.invite('K-1');
	const context = await phone(browser, { javaScriptEnabled: false });
	const page = await context.newPage();
	const answers = answersFor(borger, (item, i) => 5 - (i % 5));

	await begin(page, link);
	await answerThrough(page, answers, 2);
	assert.equal(screenNumber(page), 3);
	// "Tilbage" goes to screen 2, which keeps its answer.
	await page.locator('button[name=go][value=back]').click();
	await page.waitForURL(/\/q\/2(?:[?#]|$)/);
	const b02 = borger.items[1].id;
	assert.ok(await page.locator(`input[name="${b02}"][value="${answers[b02]}"]`).isChecked());
	await next(page);
	await answerThrough(page, answers);

	// "Ret" on the review changes one answer and comes back to the review.
	const changed = { ...answers, [borger.items[4].id]: 0 };
	await page.getByRole('link', { name: /^Ret/ }).nth(4).click();
	await page.waitForURL(/\/q\/5(?:[?#]|$)/);
	await choose(page, changed);
	await next(page);
	if (screenNumber(page) !== null) await answerThrough(page, changed);
	assert.match(await page.locator('main').innerText(), /Spring over|sprunget over/i,
		'the review shows the skipped item in words');
	await send(page);
	assert.deepEqual(site.responses(), [stored(borger, changed)]);
	await context.close();
});
