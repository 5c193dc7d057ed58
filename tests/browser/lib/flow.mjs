// Walking the questionnaire the way a person does, through the HTML the
// contract (docs/links.md) promises: a <fieldset> per item, radios named
// by the item id with values 1..5 and 0 ("Spring over"), buttons
// go=next|back|send.
import assert from 'node:assert/strict';
import { instrument } from './site.mjs';

export const borger = instrument('borger');
export const konsulent = instrument('konsulent');

// An answer for every item of an instrument: fn(item, index) → 0..5.
export function answersFor(inst, fn) {
	return Object.fromEntries(inst.items.map((item, i) => [item.id, fn(item, i)]));
}

// Every citizen item at `level` (1..5) in the direction of feeling well:
// reversed items get the mirror value.
export const feeling = (level) => answersFor(borger, (item) => (item.reversed ? 6 - level : level));

// What the database should hold for those answers (item order; a skipped
// item is stored as not answered).
export function stored(inst, answers) {
	return inst.items.map((item) => (answers[item.id] ? answers[item.id] : null));
}

export function screenNumber(page) {
	const m = /\/q\/(\d+)(?:[?#]|$)/.exec(page.url());
	return m ? Number(m[1]) : null;
}

// From the welcome page to the first open screen ("Start" or "Fortsæt").
export async function begin(page, link) {
	const response = await page.goto(link);
	assert.equal(response.status(), 200, 'the welcome page answers 200');
	await page.getByRole('link', { name: /^(Start|Fortsæt)/ })
		.or(page.getByRole('button', { name: /^(Start|Fortsæt)/ })).first().click();
	await page.waitForURL(/\/q\/\d+/);
}

// The items on the current screen: the radio group names.
export async function itemsOnScreen(page) {
	return page.locator('fieldset input[type=radio]').evaluateAll((els) =>
		[...new Set(els.map((e) => e.name))]);
}

// Chooses answers[item] for every item on this screen that has one.
export async function choose(page, answers) {
	for (const item of await itemsOnScreen(page)) {
		if (!(item in answers)) continue;
		await page.locator(`input[type=radio][name="${item}"][value="${answers[item]}"]`).check();
	}
}

export async function next(page) {
	const before = page.url();
	await page.locator('button[name=go][value=next]').click();
	await page.waitForURL((u) => u.href !== before);
}

// Answers screen after screen until the review page ("Et sidste kig"), or
// until `stopAfter` screens were answered. Returns the screens answered.
export async function answerThrough(page, answers, stopAfter = Infinity) {
	let done = 0;
	while (screenNumber(page) !== null && done < stopAfter) {
		await choose(page, answers);
		await next(page);
		done++;
	}
	return done;
}

export async function send(page) {
	assert.match(page.url(), /\/se(?:[?#]|$)/, 'on the review page');
	await page.locator('button[name=go][value=send]').click();
	await page.waitForURL(/\/udvikling/);
}

// Welcome → every screen → review → send → "Din udvikling".
export async function answerAll(page, link, answers) {
	await begin(page, link);
	await answerThrough(page, answers);
	await send(page);
}
