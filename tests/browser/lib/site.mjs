// A fremdrift site for one browser test file: a fresh database in the
// PostgreSQL cluster that scripts/test.sh (or scripts/bench.sh) started,
// a new key, `fremdrift migrate`, one synthetic citizen's courses, and
// `fremdrift serve` on a free port. Everything runs the real binary.
//
//   FREMDRIFT_BIN        the binary under test
//   FREMDRIFT_TEST_PGDIR the cluster's folder (its Unix socket is there)
//   FREMDRIFT_TEST_TMP   scratch folder (default /tmp)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const here = new URL('../../../', import.meta.url).pathname;

function need(name) {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run the browser tests with \`make test\``);
	return v;
}

// The test citizen: a replacement-style number (day + 60) the C tests use
// too, never a real person. It must never appear in a page or a URL.
export const CPR = '670761-4285';

export function instrument(name) {
	return JSON.parse(readFileSync(join(here, 'instruments', `${name}-v1.json`), 'utf8'));
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

export function day(offset) {
	const d = new Date(Date.now() + offset * 86400000);
	return d.toISOString().slice(0, 10);
}

export function sha256hex(text) {
	return createHash('sha256').update(text).digest('hex');
}

export async function startSite(name) {
	const bin = need('FREMDRIFT_BIN');
	const pgdir = need('FREMDRIFT_TEST_PGDIR');
	const tmp = mkdtempSync(join(process.env.FREMDRIFT_TEST_TMP || '/tmp', `browser-${name}.`));
	const dbname = `browser_${name}`;
	const admin = `host=${pgdir} user=fremdrift dbname=fremdrift`;
	const db = `host=${pgdir} user=fremdrift dbname=${dbname}`;
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const env = {
		...process.env,
		DATABASE_URL: db,
		FREMDRIFT_KEY_FILE: join(tmp, 'site.key'),
		FREMDRIFT_HTTP: `127.0.0.1:${port}`,
		FREMDRIFT_PUBLIC_URL: url,
		FREMDRIFT_LOG_LEVEL: 'info',
	};

	function psql(conninfo, sql) {
		const r = spawnSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', conninfo, '-c', sql],
			{ encoding: 'utf8' });
		if (r.status !== 0) throw new Error(`psql: ${sql}: ${r.stderr}`);
		return r.stdout.trim();
	}

	// `fremdrift ARGS…` with input on stdin; its stdout, or an error with
	// its stderr when it does not exit 0.
	function run(args, input = '') {
		const r = spawnSync(bin, args, { env, input, encoding: 'utf8', maxBuffer: 1 << 28 });
		if (r.status !== 0)
			throw new Error(`fremdrift ${args.join(' ')} exited ${r.status ?? r.signal ?? r.error}: ${r.stderr}`);
		return r.stdout.trim();
	}

	psql(admin, `DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
	psql(admin, `CREATE DATABASE ${dbname}`);
	run(['keygen', '--out', env.FREMDRIFT_KEY_FILE]);
	run(['migrate']);

	// The server connects as a login of the service role, not as the
	// owner, as in production (docs/operations.md, "Database roles").
	psql(admin, `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fremdrift_app')
		THEN CREATE ROLE fremdrift_app LOGIN; END IF; END $$; GRANT fremdrift_service TO fremdrift_app`);
	const log = join(tmp, 'serve.log');
	const server = spawn(bin, ['serve'], {
		env: { ...env, DATABASE_URL: `host=${pgdir} user=fremdrift_app dbname=${dbname}` },
		stdio: ['ignore', 'ignore', openSync(log, 'a')],
	});
	let healthy = false;
	for (let i = 0; i < 100 && !healthy && server.exitCode === null; i++) {
		try {
			healthy = (await fetch(`${url}/health`)).status === 200;
		} catch { /* not listening yet */ }
		if (!healthy) await new Promise((r) => setTimeout(r, 100));
	}
	if (!healthy) {
		server.kill('SIGKILL');
		throw new Error(`fremdrift serve did not become healthy:\n${readFileSync(log, 'utf8')}`);
	}

	const site = {
		url,
		db,
		log,
		run,
		sql: (q) => psql(db, q),
		// The pseudonym the database holds for a CPR number (hex).
		pseudonym: (cpr = CPR) => run(['pseudonym'], `${cpr}\n`),
		// Records (objects) through `fremdrift ingest`, as NDJSON on stdin.
		ingest(records) {
			return run(['ingest', '--source', 'test', '--format', 'ndjson', '-'],
				records.map((r) => JSON.stringify(r)).join('\n') + '\n');
		},
		// A course that started `daysAgo` days ago, for the test citizen.
		startCourse(course, daysAgo = 0, cpr = CPR) {
			return site.ingest([{ kind: 'event', id: `cs-${course}`, cpr, course, at: day(-daysAgo),
				type: 'course_started', department: 'aarhus', agreement: 'sick_listed' }]);
		},
		// An earlier round's citizen response for a course, as the records
		// API would have taken it, answered `daysAgo` days ago.
		pastResponse(course, round, daysAgo, answers, cpr = CPR) {
			return site.ingest([{ kind: 'response', id: `${course}-r${round}`, cpr, instrument: 'borger',
				version: 1, respondent: 'citizen', answered_at: `${day(-daysAgo)}T10:00:00+01:00`,
				course, answers }]);
		},
		// A synthetic population (`fremdrift synth`) ingested as source
		// synth, then `measure refresh`: figures for the dashboard.
		synth(citizens, seed) {
			run(['ingest', '--source', 'synth', '-'],
				run(['synth', '--citizens', String(citizens), '--seed', String(seed)]) + '\n');
			return run(['measure', 'refresh']);
		},
		// A link for one round (`fremdrift invite`).
		invite(course, respondent = 'citizen') {
			const out = run(['invite', '--course', course, '--respondent', respondent]);
			const link = out.split('\n').find((l) => l.startsWith('http'));
			if (!link) throw new Error(`fremdrift invite printed no link: ${out}`);
			return link;
		},
		token: (link) => link.split('/l/')[1],
		// Responses stored for the test citizen through links.
		responses(instrumentName = 'borger', cpr = CPR) {
			const p = site.pseudonym(cpr);
			const rows = site.sql(`SELECT array_to_json(answers) FROM fremdrift.responses
				WHERE source = 'link' AND instrument = '${instrumentName}'
				AND pseudonym = decode('${p}', 'hex') ORDER BY answered_at`);
			return rows === '' ? [] : rows.split('\n').map((r) => JSON.parse(r));
		},
		async stop() {
			if (server.exitCode === null) {
				server.kill('SIGTERM');
				await new Promise((r) => server.once('exit', r));
			}
			rmSync(tmp, { recursive: true, force: true });
			try { psql(admin, `DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`); } catch { /* gone */ }
		},
	};
	return site;
}
