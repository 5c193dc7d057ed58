// Debian's Chromium driven by playwright-core, and the checks every test
// shares: axe-core, the security headers, requests that stay on the
// server, no CPR number on a page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { CPR } from './site.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// CI runs as root, where Chromium's sandbox cannot start.
export function launch() {
	return chromium.launch({
		executablePath: process.env.FREMDRIFT_CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox'],
	});
}

// A phone: 360×740 CSS px, touch, Danish. Options override (for example
// { javaScriptEnabled: false } or a 320 px viewport). Reduced motion by
// default: app.js then does not move on by itself after a tap, so a test
// presses "Næste" on the screen it answered (citizen.test.mjs tests the
// moving on).
export async function phone(browser, options = {}) {
	return screen(browser, { width: 360, height: 740 }, true, options);
}

// A laptop (1280×800) and a tablet (768×1024, touch), Danish: the
// leadership page's screens. Options override, as for phone().
export async function laptop(browser, options = {}) {
	return screen(browser, { width: 1280, height: 800 }, false, options);
}

export async function tablet(browser, options = {}) {
	return screen(browser, { width: 768, height: 1024 }, true, options);
}

// A Danish context of one screen size, touch or not, with reduced motion
// and a 15 s default timeout.
async function screen(browser, viewport, touch, options) {
	const context = await browser.newContext({
		viewport,
		...(touch ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
		locale: 'da-DK',
		reducedMotion: 'reduce',
		...options,
	});
	context.setDefaultTimeout(15000);
	return context;
}

// Does what leads to a new page (a click, a key) and waits until that
// page has loaded: its load event, not the one before it, even where the
// URL stays the same.
export async function untilLoaded(page, action) {
	const loaded = page.waitForEvent('load');
	await action();
	await loaded;
}

// Signs in on the leadership page's form with a token: /dashboard?query,
// the token into #token, "Log ind". The answer to the form's POST (the
// page is then the one it led to).
export async function dashSignIn(page, base, token, query = '') {
	await page.goto(`${base}/dashboard${query ? `?${query}` : ''}`);
	await page.locator('#token').fill(token);
	const posted = page.waitForResponse((r) => r.url() === `${base}/dashboard/login`
		&& r.request().method() === 'POST');
	await untilLoaded(page, () => page.getByRole('button', { name: 'Log ind' }).click());
	return posted;
}

// 320 CSS px wide: what a 640 px window shows at 200 % zoom (and a
// 1280 px one at 400 %, WCAG's reflow case).
export const zoomed = { viewport: { width: 320, height: 640 }, deviceScaleFactor: 2 };

// Every request a context makes, to check that none leaves the server.
export function watchRequests(context) {
	const urls = [];
	context.on('request', (r) => urls.push(r.url()));
	return urls;
}

export function assertOnlyServer(urls, base) {
	const origin = new URL(base).origin;
	assert.ok(urls.length > 0, 'no request was seen');
	const foreign = urls.filter((u) => new URL(u).origin !== origin);
	assert.deepEqual(foreign, [], 'requests to another host than the server');
}

// axe-core with the WCAG 2.0 and 2.1 A and AA rules on the page as it is;
// fails listing every violation. The pages' CSP (script-src 'self') would
// refuse the injected script, so contexts that run axe are created with
// { bypassCSP: true } (axeContext); the headers themselves are checked
// by assertSecurityHeaders.
export const axeOptions = { bypassCSP: true };

export async function assertAxe(page, what) {
	if (!(await page.evaluate(() => typeof window.axe === 'object')))
		await page.addScriptTag({ content: axeSource });
	const result = await page.evaluate(() => window.axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
	}));
	const found = result.violations.map((v) =>
		`${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
	assert.deepEqual(found, [], `axe-core on ${what}`);
}

// Nothing wider than the screen: no sideways scrolling (WCAG 1.4.10).
export async function assertReflows(page, what) {
	const [scroll, width] = await page.evaluate(() =>
		[document.documentElement.scrollWidth, window.innerWidth]);
	assert.ok(scroll <= width, `${what} is ${scroll} px wide on a ${width} px screen`);
}

// The page's structure the contract promises: one h1, a main, lang.
export async function assertPageShape(page, what) {
	assert.equal(await page.locator('h1').count(), 1, `${what}: one <h1>`);
	assert.equal(await page.locator('main').count(), 1, `${what}: one <main>`);
	assert.match(await page.getAttribute('html', 'lang') ?? '', /^(da|en)/, `${what}: <html lang>`);
}

// A raw CPR number is on no page and in no URL, with or without its dash.
export async function assertNoCpr(page) {
	const html = await page.content();
	for (const form of [CPR, CPR.replace('-', '')]) {
		assert.ok(!html.includes(form), 'the CPR number is on the page');
		assert.ok(!page.url().includes(form), 'the CPR number is in the URL');
	}
}

export function assertSecurityHeaders(headers, what) {
	const csp = headers['content-security-policy'] ?? '';
	for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'",
		"img-src 'self'", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
		assert.ok(csp.includes(part), `${what}: CSP has ${part} (got "${csp}")`);
	assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(csp), `${what}: CSP allows nothing loose`);
	assert.equal(headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
	assert.equal(headers['x-frame-options']?.toUpperCase(), 'DENY', `${what}: X-Frame-Options`);
	assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
	assert.match(headers['cache-control'] ?? '', /no-store/, `${what}: Cache-Control`);
}
