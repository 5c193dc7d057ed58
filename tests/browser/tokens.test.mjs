// Links that cannot be used say so kindly: an expired, a revoked, a used
// and a wrong token each get their own page, not an error dump.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { assertNoCpr, assertPageShape, assertSecurityHeaders, launch, phone } from './lib/browser.mjs';
import { answerAll, answersFor, borger } from './lib/flow.mjs';
import { sha256hex, startSite } from './lib/site.mjs';

let site, browser, context;
before(async () => {
	site = await startSite('tokens');
	for (const c of ['K-exp', 'K-rev', 'K-used']) site.startCourse(c);
	browser = await launch();
	context = await phone(browser);
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

async function visit(url) {
	const page = await context.newPage();
	const response = await page.goto(url);
	await assertPageShape(page, url);
	await assertNoCpr(page);
	assertSecurityHeaders(response.headers(), 'an unusable link');
	return { page, response, text: await page.locator('main').innerText() };
}

test('an expired link says it has expired and to contact the consultant', async () => {
	const link = site.invite('K-exp');
	site.sql(`UPDATE fremdrift.invitations SET expires_at = now() - interval '1 day'
		WHERE token_hash = decode('${sha256hex(site.token(link))}', 'hex')`);
	const { page, text } = await visit(link);
	assert.match(text, /udløbet|ikke længere/i);
	assert.match(text, /konsulent/i);
	assert.equal(await page.locator('input[type=radio]').count(), 0, 'no questions');
	const q = await context.newPage();
	await q.goto(`${link}/q/1`);
	assert.equal(await q.locator('input[type=radio]').count(), 0, 'its screens are closed too');
});

test('a revoked link says so and to contact the consultant', async () => {
	const link = site.invite('K-rev');
	site.run(['invite', '--revoke', link]);
	const { text } = await visit(link);
	assert.match(text, /konsulent/i);
	assert.doesNotMatch(text, /Start/);
});

test('a used link thanks the citizen and leads to the progress page', async () => {
	const link = site.invite('K-used');
	const page = await context.newPage();
	await answerAll(page, link, answersFor(borger, () => 3));
	const { page: again, text } = await visit(link);
	assert.match(text, /Tak, du har allerede svaret/);
	await again.getByRole('link', { name: /udvikling/i }).first().click();
	await again.waitForURL(/\/udvikling/);
	assert.match(await again.locator('h1').innerText(), /Din udvikling/);
});

test('a wrong token gets a kind page that gives nothing away', async () => {
	const wrong = `${site.url}/l/${randomBytes(16).toString('base64url').slice(0, 22)}`;
	const { response, text } = await visit(wrong);
	assert.equal(response.status(), 404);
	assert.match(text, /konsulent/i);
	const r = await fetch(`${wrong}/q/1`);
	assert.equal(r.status, 404, 'its screens do not exist either');
});
