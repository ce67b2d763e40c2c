// Browser test of the embedded demo: Debian's Chromium driven by
// playwright-core. It starts `assokit-dev dev` on a free loopback port, signs in
// as demo accounts and checks the AssoKit page in French and English.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { signIn as signInAs, startDemo, stopDemo } from './demo.mjs'

let env, browser, baseURL

before(async () => {
	env = await startDemo()
	browser = env.browser
	baseURL = env.baseURL
})

after(() => stopDemo(env))

function signIn(page, uid) {
	return signInAs(page, baseURL, uid)
}

test('a member sees the AssoKit page in French', async () => {
	const page = await browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, 'jeanne')
	await page.getByText('Bonjour Jeanne Dupont !').waitFor({ timeout: 15000 })
	await page.getByText('Ce que propose AssoKit').waitFor()
	// A member sees what they can use: Paheko (with their access) and the
	// tours; not the transfers, the connection line or the background tasks.
	assert.deepEqual(await page.locator('[data-feature]').evaluateAll((els) => els.map((e) => e.dataset.feature)), ['paheko', 'tours'])
	// Her account waits for an admin to confirm which Paheko record is hers.
	assert.equal(await page.locator('[data-feature="paheko"] [data-status]').innerText(), 'Votre compte n\'est pas encore relié à votre fiche de membre dans Paheko.')
	assert.match(await page.locator('[data-feature="tours"] [data-status]').innerText(), /^\d+ visites disponibles\.$/)
	assert.equal(await page.getByText('Nextcloud répond à AssoKit').count(), 0)
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
	// Nextcloud names AssoKit's top-menu entries from AssoKit's l10n/,
	// in each user's language.
	const menu = await page.locator('#header-start__appmenu a').allInnerTexts()
	assert.ok(menu.includes('Discover') && !menu.includes('Découvrir'), menu.join(', '))
	await page.close()
})
