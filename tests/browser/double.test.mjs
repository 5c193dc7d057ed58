// One response per round, whatever the citizen's browser does: a double
// click on "Send svar", the back button and sending again, the form
// posted once more, a second device.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, phone } from './lib/browser.mjs';
import { answerThrough, answersFor, begin, borger, stored } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('double');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

const answers = answersFor(borger, (item, i) => 1 + (i % 5));

async function toReview(context, link) {
	const page = await context.newPage();
	await begin(page, link);
	await answerThrough(page, answers);
	return page;
}

for (const javaScriptEnabled of [true, false]) {
	test(`double click, back button and resubmission store one response (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
		const course = `K-${javaScriptEnabled}`;
		site.startCourse(course);
		const link = site.invite(course);
		const earlier = site.responses().length;
		const context = await phone(browser, { javaScriptEnabled });
		const page = await toReview(context, link);

		const csrf = await page.locator('input[name=csrf]').first().inputValue();
		await page.locator('button[name=go][value=send]').dblclick();
		await page.waitForURL(/\/udvikling/);
		assert.equal(site.responses().length, earlier + 1, 'a double click stores one response');

		// Back to the review, and "Send svar" again.
		await page.goBack();
		if (/\/se(?:[?#]|$)/.test(page.url()) && await page.locator('button[name=go][value=send]').count()) {
			await page.locator('button[name=go][value=send]').click();
			await page.waitForURL(/\/udvikling/);
		}
		assert.equal(site.responses().length, earlier + 1, 'back and send again stores nothing more');

		// The same form posted once more, as a reload of the POST would.
		const again = await page.request.post(`${link}/send`, {
			form: { csrf, go: 'send' }, maxRedirects: 0,
		});
		assert.equal(again.status(), 303);
		assert.match(again.headers().location ?? '', /\/udvikling$/);
		assert.equal(site.responses().length, earlier + 1, 'resubmission stores nothing more');
		assert.deepEqual(site.responses().at(-1), stored(borger, answers));
		await context.close();
	});
}

test('a second device sending the same round stores one response', async () => {
	site.startCourse('K-two');
	const link = site.invite('K-two');
	const earlier = site.responses().length;
	const phoneA = await phone(browser);
	const phoneB = await phone(browser);
	const a = await toReview(phoneA, link);
	const b = await phoneB.newPage();
	await b.goto(`${link}/se`);
	await Promise.all([
		a.locator('button[name=go][value=send]').click(),
		b.locator('button[name=go][value=send]').click(),
	]);
	await Promise.all([a.waitForURL(/\/udvikling/), b.waitForURL(/\/udvikling/)]);
	assert.equal(site.responses().length, earlier + 1);
	await phoneA.close();
	await phoneB.close();
});
