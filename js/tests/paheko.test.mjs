// Browser test of the Paheko bridge in the embedded demo: the admin settings
// (check, snippet, preview, synchronisation) and the sign-on into Paheko
// from the "Paheko" menu entry, with Debian's Chromium and playwright-core.
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

async function signIn(page, uid, menu = 'assokit') {
	await page.goto(baseURL + '/login')
	await page.click(`button[data-user="${uid}"]`)
	await page.waitForURL(/\/apps\/app_api\/embedded\/assokit\/assokit/)
	if (menu !== 'assokit') {
		await page.goto(baseURL + '/index.php/apps/app_api/embedded/assokit/' + menu)
	}
}

test('the admin checks Paheko, previews and runs the synchronisation', async () => {
	const page = await browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, 'camille')
	await page.getByRole('heading', { name: 'Pont avec Paheko' }).waitFor({ timeout: 15000 })
	// The demo is connected: the check lists what Paheko has, all present.
	await page.locator('[data-checks] li').first().waitFor({ timeout: 15000 })
	assert.equal(await page.locator('[data-checks] li:not([data-status="ok"])').count(), 0)
	assert.match(await page.locator('[data-snippet]').textContent(), /OIDC_CLIENT_CALLBACK/)
	await page.getByRole('button', { name: 'Aperçu' }).click()
	await page.locator('[data-preview]').getByText(/fiches à créer/).waitFor({ timeout: 15000 })
	await page.getByText('Relier jeanne à la fiche existante', { exact: false }).waitFor()
	await page.locator('[data-sync-now]').click()
	await page.locator('[data-runs] li[data-state="done"]').first().waitFor({ timeout: 20000 })
	await page.locator('[data-audit]').getByText('Créer une fiche de membre pour zoe').waitFor()
	assert.deepEqual(errors, [])
	await page.close()
})

test('a member of paheko_compta opens Paheko with single sign-on', async () => {
	const context = await browser.newContext()
	const page = await context.newPage()
	await signIn(page, 'jeanne', 'paheko')
	await page.getByText('Vous pouvez tenir la comptabilité dans Paheko.').waitFor({ timeout: 15000 })
	const [paheko] = await Promise.all([
		context.waitForEvent('page'),
		page.locator('[data-open-paheko]').click(),
	])
	await paheko.waitForURL(/\/admin\/$/, { timeout: 15000 })
	await paheko.getByText('Catégorie : Nextcloud — Comptabilité').waitFor()
	await context.close()
})

test('a member in none of the groups reads who to ask', async () => {
	const page = await browser.newPage()
	await signIn(page, 'lea', 'paheko')
	await page.locator('[data-no-role]').getByText('Votre compte ne donne pas accès à Paheko.').waitFor({ timeout: 15000 })
	assert.equal(await page.locator('[data-open-paheko]').count(), 0)
	await page.close()
})
