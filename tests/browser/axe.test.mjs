// axe-core (WCAG 2.0 and 2.1, A and AA) finds nothing on any page state,
// on a 360 px phone and at 320 px (a 640 px window at 200 % zoom), and
// nothing is wider than the screen. Contexts here bypass the pages' CSP
// (script-src 'self') only so that axe can be injected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { assertAxe, assertPageShape, assertReflows, axeOptions, launch, phone,
	zoomed } from './lib/browser.mjs';
import { answersFor, begin, borger, choose, konsulent, next, screenNumber, send } from './lib/flow.mjs';
import { sha256hex, startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('axe');
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

async function check(page, what) {
	await assertPageShape(page, what);
	await assertAxe(page, what);
	await assertReflows(page, what);
}

for (const [width, options] of [['360 px', {}], ['320 px / 200 %', zoomed]]) {
	const tag = width.startsWith('360') ? 'a' : 'b';

	test(`citizen pages at ${width}`, async () => {
		site.startCourse(`K-c${tag}`);
		const link = site.invite(`K-c${tag}`);
		const context = await phone(browser, { ...axeOptions, ...options });
		const page = await context.newPage();
		await page.goto(link);
		await check(page, 'the welcome page');
		await begin(page, link);
		await check(page, 'the first screen');
		await choose(page, answersFor(borger, () => 2));
		await check(page, 'a screen with an answer chosen');
		await page.goto(`${link}/q/24`);
		await check(page, 'the last screen');
		await next(page);
		await check(page, 'the review ("Et sidste kig")');
		await send(page);
		await check(page, 'the progress page ("Din udvikling")');
		await page.goto(link);
		await check(page, 'a used link');
		await context.close();
	});

	test(`error pages at ${width}`, async () => {
		const context = await phone(browser, { ...axeOptions, ...options });
		const page = await context.newPage();
		site.startCourse(`K-e${tag}`);
		const expired = site.invite(`K-e${tag}`);
		site.sql(`UPDATE fremdrift.invitations SET expires_at = now() - interval '1 day'
			WHERE token_hash = decode('${sha256hex(site.token(expired))}', 'hex')`);
		await page.goto(expired);
		await check(page, 'an expired link');
		site.startCourse(`K-r${tag}`);
		const revoked = site.invite(`K-r${tag}`);
		site.run(['invite', '--revoke', revoked]);
		await page.goto(revoked);
		await check(page, 'a revoked link');
		await page.goto(`${site.url}/l/${randomBytes(16).toString('base64url').slice(0, 22)}`);
		await check(page, 'a wrong link');
		await page.goto(`${site.url}/`);
		await check(page, 'the root page');
		site.startCourse(`K-f${tag}`);
		const open = site.invite(`K-f${tag}`);
		await page.goto(`${open}/q/99`);
		await check(page, 'a screen that does not exist');
		// A form whose csrf no longer fits: "Det kunne ikke gemmes".
		await page.goto(`${open}/q/1`);
		await page.locator('input[name=csrf]').evaluate((e) => { e.value = '0000000000000000'; });
		await page.locator('button[name=go][value=next]').click();
		await page.waitForLoadState();
		assert.match(await page.locator('h1').innerText(), /kunne ikke gemmes/);
		await check(page, 'a refused form (wrong csrf)');
		await context.close();
	});

	test(`consultant pages at ${width}`, async () => {
		site.startCourse(`K-k${tag}`);
		const link = site.invite(`K-k${tag}`, 'consultant');
		const context = await phone(browser, { ...axeOptions, ...options });
		const page = await context.newPage();
		await page.goto(link);
		await check(page, 'the consultant\'s welcome page');
		await begin(page, link);
		const answers = { ...answersFor(konsulent, () => 4), w_belief: 2, l_belief: 0 };
		while (screenNumber(page) !== null) {
			const goals = await page.locator('input[name=w_belief]').count() > 0;
			await check(page, goals ? 'the sub-goal screen' : `consultant screen ${screenNumber(page)}`);
			await choose(page, answers);
			if (goals) await check(page, 'the sub-goal screen, a goal chosen and rated');
			await next(page);
		}
		await check(page, 'the consultant\'s review');
		await send(page);
		await check(page, 'the consultant\'s progress page');
		await context.close();
	});
}
