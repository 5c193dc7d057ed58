// The phone pages as PNG into docs/img/ (360×740 CSS px, device scale 2):
// welcome, a question, the review and the progress page after three
// rounds. Synthetic data only: the replacement-style test CPR number, a
// made-up course. Run by `make screenshots` (scripts/bench.sh screenshots).
import { join } from 'node:path';
import { launch, phone } from './lib/browser.mjs';
import { answerThrough, begin, choose, feeling, send } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

const out = new URL('../../docs/img/', import.meta.url).pathname;
const site = await startSite('screenshots');
const browser = await launch();
try {
	// A synthetic population and `measure refresh` give the baseline SD the
	// reliable change needs; then the third round of a course that went
	// well.
	site.run(['ingest', '--source', 'synth', '-'], site.run(['synth', '--citizens', '300', '--seed', '15']) + '\n');
	site.run(['measure', 'refresh']);
	site.startCourse('DEMO-1', 60);
	site.pastResponse('DEMO-1', 1, 59, feeling(2));
	site.pastResponse('DEMO-1', 2, 31, feeling(3));
	const link = site.invite('DEMO-1');
	const context = await phone(browser);
	const page = await context.newPage();
	const shot = async (name) => {
		await page.screenshot({ path: join(out, `${name}.png`) });
		console.log(`docs/img/${name}.png`);
	};
	const answers = feeling(5);

	await page.goto(link);
	await shot('welcome');
	await begin(page, link);
	await answerThrough(page, answers, 2);
	await choose(page, answers);
	await shot('question');
	await answerThrough(page, answers);
	await shot('review');
	await send(page);
	await shot('progress');
	await context.close();
} finally {
	await browser.close();
	await site.stop();
}
