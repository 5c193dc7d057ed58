// The first question's page, all its assets included, on a cold browser
// (cache disabled, a new context each time) under a throttled slow-3G
// connection: 400 kbit/s down and up, 400 ms round trip (Chrome DevTools
// Protocol Network.emulateNetworkConditions). Prints the bytes transferred
// (the sum of Network.loadingFinished.encodedDataLength: headers and
// bodies as they came over the wire) and the time to the load event,
// the median of 5 loads. Run by `make bench` (scripts/bench.sh pageweight);
// never by `make test`: timings are not asserted.
import { launch } from './lib/browser.mjs';
import { startSite } from './lib/site.mjs';

const runs = Number(process.env.FREMDRIFT_BENCH_LOADS || 5);
const conditions = { offline: false, latency: 400, downloadThroughput: 400000 / 8,
	uploadThroughput: 400000 / 8 };

const site = await startSite('pageweight');
const browser = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
	site.startCourse('BENCH-1');
	const url = `${site.invite('BENCH-1')}/q/1`;
	const loads = [];
	for (let i = 0; i < runs; i++) {
		const context = await browser.newContext({ viewport: { width: 360, height: 740 },
			deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'da-DK' });
		const page = await context.newPage();
		const cdp = await context.newCDPSession(page);
		await cdp.send('Network.enable');
		await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
		await cdp.send('Network.emulateNetworkConditions', conditions);
		const urls = new Map();
		const bytes = new Map();
		cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
		cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
		await page.goto(url, { waitUntil: 'load' });
		const ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventStart);
		const parts = [...bytes].map(([id, n]) => [new URL(urls.get(id)).pathname.replace(/\/l\/[^/]+/, '/l/…'), n]);
		loads.push({ ms, total: parts.reduce((s, [, n]) => s + n, 0), parts });
		await context.close();
	}
	const last = loads.at(-1);
	console.log(`first question's page (${url.replace(/\/l\/[^/]+/, '/l/…')}), ${runs} cold loads, 400 kbit/s, 400 ms RTT, Chromium ${browser.version()}:`);
	for (const [path, n] of last.parts) console.log(`  ${path}: ${n} B`);
	console.log(`transferred: ${median(loads.map((l) => l.total))} B (${(median(loads.map((l) => l.total)) / 1024).toFixed(1)} KiB) in ${last.parts.length} requests (budget 60 KB)`);
	console.log(`load event: median ${Math.round(median(loads.map((l) => l.ms)))} ms (of ${loads.map((l) => Math.round(l.ms)).join(', ')}; budget < 2 s)`);
} finally {
	await browser.close();
	await site.stop();
}
