// Writes PNGs of every AssoKit page and state, from the demo, for review
// (`make screenshots`; the folder is named in the README): in French as an
// admin and as a member, at 1280×800 and 390×844 — the pages, a tour step,
// the transfer picker, a transfer in progress and its report, the Paheko
// admin section, errors — and the home page and a tour step in English and
// as a paheko_compta member. Long pages also get a shot scrolled to their end.
import { mkdir, rm } from 'node:fs/promises'
import { startDemo, stopDemo } from './tests/demo.mjs'

const out = process.env.ASSOKIT_SCREENSHOTS_DIR ?? 'screenshots'
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } }
const base = '/index.php/apps/app_api/embedded/assokit/'
let env

/** A signed-in page of uid at size (touch on the phone size). */
async function open(uid, size) {
	const phone = size === 'phone'
	const context = await env.browser.newContext({ viewport: sizes[size], hasTouch: phone, isMobile: phone })
	const page = await context.newPage()
	await page.goto(env.baseURL + '/login')
	await page.click(`button[data-user="${uid}"]`)
	await page.waitForURL(/embedded\/assokit/)
	return page
}

/** Opens menu and waits until its data has loaded. */
async function go(page, menu) {
	await page.goto(env.baseURL + base + menu)
	await page.locator('#app-content-vue h2').first().waitFor({ timeout: 15000 })
	await page.waitForFunction(() => !document.querySelector('#app-content-vue .load-state'), null, { timeout: 15000 })
	await page.waitForTimeout(500)
}

async function shot(page, name) {
	await page.screenshot({ path: `${out}/${name}.png` })
	console.log(`${out}/${name}.png`)
}

/** A shot, and one scrolled to the end when the page is longer than the window. */
async function shotPage(page, name) {
	await shot(page, name)
	const long = await page.evaluate(() => {
		const panel = document.querySelector('#app-content-vue')
		return panel && panel.scrollHeight > panel.clientHeight + 50
	})
	if (long) {
		await page.evaluate(() => { const p = document.querySelector('#app-content-vue'); p.scrollTop = p.scrollHeight })
		await page.waitForTimeout(200)
		await shot(page, name + '-end')
	}
}

/** A tour's step n (1-based) of the Découvrir page. */
async function tourStep(page, tour, n) {
	await go(page, 'tours')
	await page.locator(`[data-tour-card="${tour}"] [data-tour-start]`).click()
	const pop = '[data-tour-player] [role="dialog"]'
	await page.locator(`${pop}[data-step]:visible`).waitFor({ timeout: 15000 })
	for (let i = 1; i < n; i++) {
		const step = await page.locator(pop).getAttribute('data-step')
		await page.locator('[data-tour-next]').click()
		await page.locator(`${pop}:not([data-step="${step}"])`).waitFor()
	}
	await page.waitForTimeout(600)
}

async function pick(page, which, name) {
	await page.locator(`[${which}] input`).click()
	await page.keyboard.type(name)
	// Once the answer to the whole name is in, click its option.
	await page.locator(`[${which}].vs--loading`).waitFor({ state: 'detached', timeout: 15000 })
	await page.locator('.vs__dropdown-option:visible', { hasText: name }).first().click({ timeout: 15000 })
	await page.locator(`[${which}] .vs__selected`, { hasText: name }).waitFor()
}

async function run() {
	await rm(out, { recursive: true, force: true })
	await mkdir(out, { recursive: true })
	for (const size of ['desktop', 'phone']) {
		// An admin, in French.
		let page = await open('camille', size)
		for (const menu of ['assokit', 'paheko', 'tours']) {
			await go(page, menu)
			await shotPage(page, `fr-admin-${menu}-${size}`)
		}
		await tourStep(page, 'files', 2)
		await shot(page, `fr-admin-tour-step-${size}`)
		await go(page, 'transfers')
		await shotPage(page, `fr-admin-transfers-${size}`)
		await page.locator('[data-source] input').click()
		await page.locator('.vs__dropdown-option:visible').first().waitFor()
		await shot(page, `fr-admin-transfers-picker-${size}`)
		await page.keyboard.press('Escape')
		const [source, target] = size === 'desktop' ? ['Hugo', 'Chloé'] : ['Manon', 'Mathis']
		await pick(page, 'data-source', source)
		await pick(page, 'data-target', target)
		await page.locator('[data-inventory]').click()
		await page.locator('[data-inventory-view]').waitFor({ timeout: 15000 })
		await page.waitForTimeout(300)
		await shotPage(page, `fr-admin-transfers-inventory-${size}`)
		await page.locator('[data-start]').click()
		await page.locator('[data-progress]').waitFor({ timeout: 15000 })
		await shot(page, `fr-admin-transfer-running-${size}`)
		await page.locator('[data-state][data-value="done"], [data-state][data-value="partial"], [data-state][data-value="failed"]').waitFor({ timeout: 90000 })
		await page.waitForTimeout(500)
		await shotPage(page, `fr-admin-transfer-report-${size}`)
		await go(page, 'assokit')
		await shotPage(page, `fr-admin-assokit-after-transfer-${size}`)
		// An error: AssoKit cannot be reached.
		await page.route('**/api/status', (r) => r.fulfill({ status: 502, contentType: 'application/json', body: '{"code":"nextcloud_unreachable"}' }))
		await page.goto(env.baseURL + base + 'assokit')
		await page.locator('#app-content-vue [role="alert"], #app-content-vue .notecard--error').first().waitFor({ timeout: 15000 })
		await shot(page, `fr-admin-error-${size}`)
		await page.context().close()

		// A member, in French.
		page = await open('lea', size)
		for (const menu of ['assokit', 'paheko', 'tours']) {
			await go(page, menu)
			await shotPage(page, `fr-member-${menu}-${size}`)
		}
		await page.goto(env.baseURL + base + 'transfers')
		await page.waitForTimeout(500)
		await shot(page, `fr-member-transfers-not-found-${size}`)
		await tourStep(page, 'dashboard', 3)
		await shot(page, `fr-member-tour-step-${size}`)
		await page.context().close()

		// A paheko_compta member, and an English-speaking member.
		for (const [uid, who] of [['jeanne', 'fr-compta'], ['zoe', 'en-member']]) {
			page = await open(uid, size)
			await go(page, 'assokit')
			await shotPage(page, `${who}-assokit-${size}`)
			await go(page, 'paheko')
			await shot(page, `${who}-paheko-${size}`)
			await tourStep(page, 'files', 2)
			await shot(page, `${who}-tour-step-${size}`)
			await page.context().close()
		}
	}
}

env = await startDemo()
try {
	await run()
} finally {
	await stopDemo(env)
}
