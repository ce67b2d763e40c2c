// Browser test of the embedded demo: Debian's Chromium driven by
// playwright-core. It starts `assokit dev` on a free loopback port, signs in
// as demo accounts and checks the AssoKit page in French and English.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chromium } from 'playwright-core'

const binary = process.env.ASSOKIT_BIN ?? 'bin/assokit'
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium'
let demo, browser, baseURL

before(async () => {
	demo = spawn(binary, ['dev'], { env: { ...process.env, ASSOKIT_DEV_ADDR: '127.0.0.1:0', LOG_LEVEL: 'warn' } })
	baseURL = await new Promise((resolve, reject) => {
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
	browser = await chromium.launch({
		executablePath: chromiumPath,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	})
})

after(async () => {
	await browser?.close()
	demo?.kill('SIGTERM')
})

async function signIn(page, uid) {
	await page.goto(baseURL + '/login')
	await page.click(`button[data-user="${uid}"]`)
	await page.waitForURL(/\/apps\/app_api\/embedded\/assokit\/assokit/)
}

test('a member sees the AssoKit page in French', async () => {
	const page = await browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, 'jeanne')
	await page.getByText('Bonjour Jeanne Dupont !').waitFor({ timeout: 15000 })
	await page.getByText('Ce que propose AssoKit').waitFor()
	assert.ok(await page.getByText('Nextcloud répond à AssoKit').isVisible())
	assert.equal(await page.locator('[data-feature]').count(), 3)
	assert.equal(await page.getByText('Tâches en arrière-plan').count(), 0, 'members do not see the admin part')
	assert.deepEqual(errors, [])
	await page.close()
})

test('the switcher changes account; an admin sees the background tasks', async () => {
	const page = await browser.newPage()
	await signIn(page, 'lea')
	await page.getByText('Bonjour Léa Laurent !').waitFor({ timeout: 15000 })
	await Promise.all([
		page.waitForURL(/embedded\/assokit/),
		page.selectOption('[data-demo-switcher] select', 'camille'),
	])
	await page.getByText('Bonjour Camille Martin !').waitFor({ timeout: 15000 })
	await page.getByText('Tâches en arrière-plan').waitFor()
	await page.locator('[data-state="done"]').first().waitFor()
	await page.close()
})

test('an English-speaking member reads English', async () => {
	const page = await browser.newPage()
	await signIn(page, 'nathan')
	await page.getByText('Hello Nathan Lefebvre!').waitFor({ timeout: 15000 })
	await page.getByText('What AssoKit offers').waitFor()
	await page.close()
})
