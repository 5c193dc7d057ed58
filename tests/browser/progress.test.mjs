// "Din udvikling" after three rounds: a reliable improvement (by the RCI)
// is shown as "Du er gået tydeligt frem"; a change within the noise as
// "Omtrent som sidst". Rounds 1 and 2 arrive as NDJSON responses for the
// same course, dated earlier; round 3 is answered in the browser. The RCI
// needs the baseline SD of a population, which `fremdrift measure refresh`
// computes (as a site's nightly run would): synthetic citizens first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoCpr, launch, phone } from './lib/browser.mjs';
import { answerAll, borger, feeling } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

let site, browser;
before(async () => {
	site = await startSite('progress');
	site.run(['ingest', '--source', 'synth', '-'], site.run(['synth', '--citizens', '300', '--seed', '15']) + '\n');
	site.run(['measure', 'refresh']);
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await site?.stop();
});

// A course that started 60 days ago (so its current round is the third,
// every 28 days) with rounds 1 and 2 already in.
function courseWithTwoRounds(course, first, second) {
	site.startCourse(course, 60);
	site.pastResponse(course, 1, 59, first);
	site.pastResponse(course, 2, 31, second);
}

async function progressAfterRound3(course, answers) {
	const context = await phone(browser);
	const page = await context.newPage();
	await answerAll(page, site.invite(course), answers);
	await assertNoCpr(page);
	const text = await page.locator('main').innerText();
	const charts = await page.locator('main svg').count();
	const tables = await page.locator('main table').evaluateAll((ts) =>
		ts.map((t) => t.querySelectorAll('td').length));
	await context.close();
	return { text, charts, tables };
}

test('the population gives every dimension a baseline SD', () => {
	const missing = site.sql(`SELECT count(*) FROM report.dimension_reliability
		WHERE instrument = 'borger' AND NOT (sd_baseline > 0)`);
	assert.equal(missing, '0');
});

test('three rounds with a reliable improvement: "Du er gået tydeligt frem"', async () => {
	courseWithTwoRounds('K-up', feeling(1), feeling(2));
	const { text, charts, tables } = await progressAfterRound3('K-up', feeling(5));
	assert.match(text, /Du er gået tydeligt frem/);
	assert.ok(charts >= 1, 'a chart per dimension');
	assert.equal(tables.length, charts, 'each chart has a table as its text equivalent');
	for (const cells of tables) assert.ok(cells >= 3, 'each table holds the three rounds');
	for (const dim of borger.dimensions.filter((d) => !d.optional))
		assert.ok(text.includes(dim.name.da), `the dimension "${dim.name.da}" is shown`);
});

test('three rounds within the noise: "Omtrent som sidst", not "tydeligt frem"', async () => {
	courseWithTwoRounds('K-flat', feeling(3), feeling(3));
	const { text } = await progressAfterRound3('K-flat', feeling(3));
	assert.match(text, /Omtrent som sidst/);
	assert.doesNotMatch(text, /tydeligt frem/);
});
