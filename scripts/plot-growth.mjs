// docs/growth.tsv (scripts/bench-scale.sh growth) as an SVG plot: how
// time, latency, memory and size grow with the number of courses. Both
// axes logarithmic, so a straight line of slope 1 is linear growth (the
// dotted grey line beside each series' first point shows it). Series are
// told apart by marker shape and dash, not colour alone.
//
//   node scripts/plot-growth.mjs docs/growth.tsv docs/img/growth.svg
import { readFileSync, writeFileSync } from 'node:fs';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
	console.error('usage: plot-growth.mjs TABLE.tsv OUT.svg');
	process.exit(2);
}
const lines = readFileSync(src, 'utf8').trim().split('\n');
const head = lines[0].split('\t');
const rows = lines.slice(1).map((l) => Object.fromEntries(
	l.split('\t').map((v, i) => [head[i], Number(v)])));
if (rows.length < 2) {
	console.error('plot-growth: need at least two sizes');
	process.exit(1);
}

const W = 960, H = 720, PW = 400, PH = 250;
const colours = ['#1b4f72', '#a04000', '#196f3d', '#6c3483', '#7b7d7d'];
const markers = [
	(x, y) => `<circle cx="${x}" cy="${y}" r="4.5"/>`,
	(x, y) => `<rect x="${x - 4}" y="${y - 4}" width="8" height="8"/>`,
	(x, y) => `<path d="M${x} ${y - 5.5}L${x + 5} ${y + 4}L${x - 5} ${y + 4}Z"/>`,
	(x, y) => `<path d="M${x} ${y - 5.5}L${x + 5.5} ${y}L${x} ${y + 5.5}L${x - 5.5} ${y}Z"/>`,
	(x, y) => `<path d="M${x - 5} ${y - 5}L${x + 5} ${y + 5}M${x + 5} ${y - 5}L${x - 5} ${y + 5}" fill="none" stroke-width="2"/>`,
];
const dashes = ['', '6 3', '2 3', '8 3 2 3', '1 2'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : `${+v.toPrecision(2)}`);

function ticks(lo, hi) {
	const out = [];
	for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
		for (const m of [1, 2, 5]) {
			const v = m * 10 ** e;
			if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
		}
	return out;
}

function panel(ox, oy, title, unit, series) {
	const xs = rows.map((r) => r.courses);
	const ys = series.flatMap((s) => rows.map((r) => r[s.key])).filter((v) => v > 0);
	const xlo = Math.min(...xs) / 1.3, xhi = Math.max(...xs) * 1.3;
	const ylo = Math.min(...ys) / 2, yhi = Math.max(...ys) * 2;
	const X = (v) => ox + 60 + ((Math.log(v) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo))) * (PW - 70);
	const Y = (v) => oy + PH - 40 - ((Math.log(v) - Math.log(ylo)) / (Math.log(yhi) - Math.log(ylo))) * (PH - 70);
	let g = `<g><text x="${ox + 60}" y="${oy + 18}" font-weight="bold">${esc(title)}</text>`;
	g += `<text x="${ox + 8}" y="${oy + 18}" font-size="12">${esc(unit)}</text>`;
	g += `<rect x="${ox + 60}" y="${oy + 30}" width="${PW - 70}" height="${PH - 70}" fill="none" stroke="#555"/>`;
	for (const v of ticks(ylo, yhi))
		g += `<line x1="${ox + 60}" x2="${ox + PW - 10}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/>` +
			`<text x="${ox + 55}" y="${Y(v) + 4}" text-anchor="end" font-size="12">${fmt(v)}</text>`;
	for (const v of xs)
		g += `<text x="${X(v)}" y="${oy + PH - 24}" text-anchor="middle" font-size="12">${fmt(v)}</text>`;
	g += `<text x="${ox + 60 + (PW - 70) / 2}" y="${oy + PH - 8}" text-anchor="middle" font-size="12">courses</text>`;
	series.forEach((s, i) => {
		const pts = rows.filter((r) => r[s.key] > 0).map((r) => [X(r.courses), Y(r[s.key])]);
		if (!pts.length) return;
		const first = rows.find((r) => r[s.key] > 0);
		const last = rows[rows.length - 1];
		const lin = first[s.key] * last.courses / first.courses;
		if (lin < yhi)
			g += `<line x1="${pts[0][0]}" y1="${pts[0][1]}" x2="${X(last.courses)}" y2="${Y(lin)}" stroke="#999" stroke-dasharray="1 3"/>`;
		g += `<g stroke="${colours[i]}" fill="${colours[i]}"><polyline fill="none" stroke-width="2"` +
			(dashes[i] ? ` stroke-dasharray="${dashes[i]}"` : '') +
			` points="${pts.map((p) => p.join(',')).join(' ')}"/>${pts.map((p) => markers[i](...p)).join('')}</g>`;
		const ly = oy + 42 + i * 17;
		g += `<g stroke="${colours[i]}" fill="${colours[i]}">${markers[i](ox + 74, ly - 4)}</g>` +
			`<text x="${ox + 84}" y="${ly}" font-size="12">${esc(s.label)}</text>`;
	});
	return g + '</g>';
}

const desc = rows.map((r) => `${r.courses} courses: ingest ${r.ingest_s} s, refresh ${r.refresh_s} s, ` +
	`extract ${r.extract_s} s, dashboard p95 ${r.dash_p95_ms} ms, database ${r.db_mb} MB`).join('; ');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
	`role="img" aria-labelledby="t d" font-family="sans-serif" font-size="14">` +
	`<title id="t">How fremdrift's cost grows with the number of courses</title>` +
	`<desc id="d">${esc(desc)}. The same figures are in docs/growth.tsv and docs/benchmarks.md.</desc>` +
	`<rect width="${W}" height="${H}" fill="#fff"/>` +
	panel(40, 10, 'Time', 's', [
		{ key: 'ingest_s', label: 'fremdrift ingest' },
		{ key: 'refresh_s', label: 'measure refresh' },
		{ key: 'extract_s', label: 'extract' }]) +
	panel(500, 10, 'Dashboard API, p95', 'ms', [{ key: 'dash_p95_ms', label: 'nine views × three shapes' }]) +
	panel(40, 370, 'Peak memory', 'MB', [
		{ key: 'ingest_mb', label: 'ingest' },
		{ key: 'refresh_mb', label: 'refresh' },
		{ key: 'extract_mb', label: 'extract' },
		{ key: 'serve_mb', label: 'serve' },
		{ key: 'pg_peak_mb', label: 'largest PostgreSQL process' }]) +
	panel(500, 370, 'Database on disk', 'MB', [{ key: 'db_mb', label: 'pg_database_size' }]) +
	`<text x="40" y="${H - 8}" font-size="12" fill="#333">Dotted grey: linear growth from each series' first point. ` +
	`Made by make bench (scripts/bench-scale.sh growth).</text></svg>\n`;
writeFileSync(dst, svg);
