// The whole way through a screen with the keyboard alone: Tab to the
// answers, arrow keys or Space to choose, Tab to "Næste", Enter; the focus
// is visible on every stop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, phone } from './lib/browser.mjs';
import { borger, screenNumber } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('keyboard');
	site.startCourse('K-1');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

// What has the focus now, and does it show (an outline or a shadow)?
const focused = (page) => page.evaluate(() => {
	const e = document.activeElement;
	const s = getComputedStyle(e);
	const label = e.closest('label');
	const ls = label ? getComputedStyle(label) : null;
	const shows = (st) => st && ((st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0)
		|| st.boxShadow !== 'none');
	return { tag: e.tagName, type: e.type ?? '', name: e.name ?? '', value: e.value ?? '',
		text: e.innerText ?? '', visible: shows(s) || shows(ls) };
});

async function tabTo(page, want, limit = 30) {
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		const f = await focused(page);
		if (want(f)) return f;
	}
	throw new Error('Tab never reached it');
}

for (const javaScriptEnabled of [true, false]) {
	test(`keyboard only: welcome, one screen, the next (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
		const link = site.invite('K-1');
		const context = await phone(browser, { javaScriptEnabled, isMobile: false, hasTouch: false });
		const page = await context.newPage();
		await page.goto(link);

		const start = await tabTo(page, (f) => f.tag === 'A' && /Start|Fortsæt/.test(f.text));
		assert.ok(start.visible, 'the focus on "Start" is visible');
		await page.keyboard.press('Enter');
		await page.waitForURL(/\/q\/\d+/);
		const n = screenNumber(page);
		const item = borger.items[n - 1].id;

		const radio = await tabTo(page, (f) => f.type === 'radio' && f.name === item);
		assert.ok(radio.visible, 'the focus on an answer is visible');
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('Space');
		const chosen = await page.locator(`input[name="${item}"]:checked`).getAttribute('value');
		assert.ok(chosen !== null, 'an answer is chosen with the keyboard');

		const nextButton = await tabTo(page, (f) => f.tag === 'BUTTON');
		assert.match(nextButton.text, /Næste/, 'Tab from the answers reaches "Næste" first');
		assert.ok(nextButton.visible, 'the focus on "Næste" is visible');
		await page.keyboard.press('Enter');
		await page.waitForURL((u) => screenNumber({ url: () => u.href }) === n + 1);

		// The answer was saved: back on screen n it is still chosen.
		await page.goto(`${link}/q/${n}`);
		assert.equal(await page.locator(`input[name="${item}"]:checked`).getAttribute('value'), chosen);
		await context.close();
	});
}
