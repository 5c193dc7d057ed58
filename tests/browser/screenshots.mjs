// The phone pages as PNG into docs/img/ (360×740 CSS px, device scale 2):
// welcome, a question, the review and the progress page after three
// rounds; and the leadership page (/dashboard) signed in, on a laptop
// (1280 px wide, its top 1600 px) and a tablet (768 px, its top 1400 px).
// Synthetic data only: the replacement-style test CPR number, a made-up
// course, `fremdrift synth` citizens. Run by `make screenshots`
// (scripts/bench.sh screenshots).
import { join } from 'node:path';
import { laptop, launch, phone, tablet } from './lib/browser.mjs';
import { answerThrough, begin, choose, feeling, send } from './lib/flow.mjs';
import { startSite } from './lib/site.mjs';

const out = new URL('../../docs/img/', import.meta.url).pathname;

async function phonePages(browser) {
	const site = await startSite('screenshots');
	try {
		// A synthetic population and `measure refresh` give the baseline
		// SD the reliable change needs; then the third round of a course
		// that went well.
		site.synth(300, 15);
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
		await site.stop();
	}
}

// The leadership page on a site of its own: 1,500 synthetic citizens (as
// tests/browser/dashboard.test.mjs has them), the latest quarter, all
// departments and target groups.
async function dashboardPages(browser) {
	const site = await startSite('screenshots_dash');
	try {
		site.synth(1500, 16);
		const token = site.run(['token', 'create', '--source', 'leadership', '--role', 'dashboard']);
		for (const [name, make, height] of [['dashboard-laptop', laptop, 1600], ['dashboard-tablet', tablet, 1400]]) {
			const context = await make(browser, { deviceScaleFactor: 1 });
			// Signed in with the sign-in form's POST (the form itself is
			// tested in dashboard.test.mjs).
			const r = await context.request.post(`${site.url}/dashboard/login`,
				{ form: { token, next: '' }, maxRedirects: 0 });
			if (r.status() !== 303) throw new Error(`signing in answered ${r.status()}`);
			const page = await context.newPage();
			await page.goto(`${site.url}/dashboard`);
			if (await page.locator('#forloeb-tabel').count() !== 1) throw new Error('the dashboard shows no figures');
			const { width } = page.viewportSize();
			await page.screenshot({ path: join(out, `${name}.png`), fullPage: true,
				clip: { x: 0, y: 0, width, height } });
			console.log(`docs/img/${name}.png`);
			if (name === 'dashboard-laptop') {
				// The section at the bottom (issue 18): what foretells a
				// good exit, in words and C-statistics.
				await page.locator('#udfald').screenshot({ path: join(out, 'dashboard-validity.png') });
				console.log('docs/img/dashboard-validity.png');
			}
			await context.close();
		}
	} finally {
		await site.stop();
	}
}

const browser = await launch();
try {
	await phonePages(browser);
	await dashboardPages(browser);
} finally {
	await browser.close();
}
