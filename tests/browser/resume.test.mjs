// Each answer is saved as it is given: a citizen who stops half-way comes
// back later, in another browser (a new context: no cookies, no storage),
// to where they left off, with the earlier answers kept.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, phone } from './lib/browser.mjs';
import { answerThrough, answersFor, begin, borger, screenNumber, send, stored } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('resume');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

for (const javaScriptEnabled of [true, false]) {
	test(`stop after 12 screens, resume in a new browser context (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
		const course = javaScriptEnabled ? 'K-js' : 'K-nojs';
		site.startCourse(course);
		const link = site.invite(course);
		const answers = answersFor(borger, (item, i) => 1 + (i % 5));
		const earlier = site.responses().length;

		const first = await phone(browser, { javaScriptEnabled });
		const page1 = await first.newPage();
		await begin(page1, link);
		assert.equal(await answerThrough(page1, answers, 12), 12);
		assert.equal(screenNumber(page1), 13);
		await first.close();
		assert.equal(site.responses().length, earlier, 'nothing is stored before "Send svar"');

		const second = await phone(browser, { javaScriptEnabled });
		const page2 = await second.newPage();
		await page2.goto(link);
		assert.match(await page2.locator('main').innerText(), /Fortsæt/, 'the welcome page offers "Fortsæt"');
		await begin(page2, link);
		assert.equal(screenNumber(page2), 13, 'it continues where the citizen stopped');
		// The first 12 answers are there: screen 1 shows its answer chosen.
		await page2.goto(`${link}/q/1`);
		const first12 = borger.items.slice(0, 12);
		assert.ok(await page2.locator(`input[name="${first12[0].id}"][value="${answers[first12[0].id]}"]`).isChecked(),
			'screen 1 shows the answer given in the other browser');
		await page2.goto(`${link}/q/13`);
		await answerThrough(page2, answers);
		await send(page2);
		await second.close();
		assert.equal(site.responses().length, earlier + 1);
		assert.deepEqual(site.responses().at(-1), stored(borger, answers),
			'all 24 answers stored, the first 12 from the first browser');
	});
}
