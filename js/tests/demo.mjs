// What the browser tests share: `assokit-dev dev` (the binary built with -tags dev) on a free loopback port and
// Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process'
import { chromium } from 'playwright-core'

const binary = process.env.ASSOKIT_BIN ?? 'bin/assokit-dev'
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium'

/**
 * Starts the demo and a browser. Resolves to { demo, browser, baseURL }.
 */
export async function startDemo() {
	const demo = spawn(binary, ['dev'], { env: { ...process.env, ASSOKIT_DEV_ADDR: '127.0.0.1:0', LOG_LEVEL: 'warn' } })
	const baseURL = await new Promise((resolve, reject) => {
		let out = ''
		const timer = setTimeout(() => reject(new Error('demo did not start: ' + out)), 60000)
		demo.stdout.on('data', (d) => {
			out += d
			const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+)/)
			if (m) { clearTimeout(timer); resolve(m[1]) }
		})
		demo.stderr.on('data', (d) => { out += d })
		demo.on('exit', (code) => reject(new Error(`demo exited with ${code}: ${out}`)))
	})
	const browser = await chromium.launch({
		executablePath: chromiumPath,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	})
	return { demo, browser, baseURL }
}

/** Stops what startDemo started. */
export async function stopDemo(env) {
	await env?.browser?.close()
	env?.demo?.kill('SIGTERM')
}

/**
 * Signs page in as a demo account on the login page, then opens the
 * top-menu page menu ("assokit" or "paheko").
 */
export async function signIn(page, baseURL, uid, menu = 'assokit') {
	await page.goto(baseURL + '/login')
	await page.click(`button[data-user="${uid}"]`)
	await page.waitForURL(/\/apps\/app_api\/embedded\/assokit\/assokit/)
	if (menu !== 'assokit') {
		await page.goto(baseURL + '/index.php/apps/app_api/embedded/assokit/' + menu)
	}
}
