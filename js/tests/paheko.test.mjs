// Browser test of the Paheko bridge in the embedded demo: the admin settings
// (check, snippet, preview, synchronisation) and the sign-on into Paheko
// from the "Paheko" menu entry, with Debian's Chromium and playwright-core.
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

function signIn(page, uid, menu) {
	return signInAs(page, baseURL, uid, menu)
}

// First: before any synchronisation, the admin's account has no member
// record yet, and the page says what the admin can do about it.
test('an admin whose account is not linked yet is led to the members synchronisation', async () => {
	const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, 'camille', 'paheko')
	const note = page.locator('[data-not-linked]')
	await note.getByText('En tant qu\'administrateur·rice, vous le reliez vous-même : dans « Membres » plus bas, lancez la synchronisation').waitFor({ timeout: 15000 })
	assert.equal(await note.getByText('prévenez un administrateur').count(), 0)
	await note.getByRole('button', { name: 'Aller à « Membres »' }).click()
	const members = page.locator('[data-paheko-members]')
	await page.waitForFunction(() => document.activeElement?.hasAttribute('data-paheko-members'))
	await members.evaluate((el) => new Promise((resolve) => setTimeout(resolve, 800)))
	assert.ok(await members.isVisible())
	const top = await members.evaluate((el) => el.getBoundingClientRect().top)
	assert.ok(top >= 0 && top < 844, 'members heading at ' + top)
	assert.deepEqual(errors, [])
	await page.close()
})

// A member whose account is not linked yet is told to ask an administrator.
test('a member whose account is not linked yet reads who to tell', async () => {
	const page = await browser.newPage()
	await signIn(page, 'jeanne', 'paheko')
	const note = page.locator('[data-not-linked]')
	await note.getByText('Votre compte Nextcloud n\'est pas encore relié à votre fiche de membre dans Paheko').waitFor({ timeout: 15000 })
	await note.getByText(/Si cela dure, prévenez /).waitFor()
	assert.equal(await note.getByRole('button').count(), 0)
	await page.close()
})

test('the admin checks Paheko, previews and runs the synchronisation', async () => {
	const page = await browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	// The home page says how the bridge is, and leads to its settings.
	await signIn(page, 'camille')
	const feature = page.locator('[data-feature="paheko"]')
	assert.equal(await feature.locator('[data-status]').innerText({ timeout: 15000 }), 'Configuré ; aucune synchronisation pour l\'instant.')
	await feature.locator('[data-open="paheko"]').click()
	await page.getByRole('heading', { name: 'Pont avec Paheko' }).waitFor({ timeout: 15000 })
	// The demo is connected: the check lists what Paheko has, all present.
	await page.locator('[data-checks] li').first().waitFor({ timeout: 15000 })
	assert.equal(await page.locator('[data-checks] li:not([data-status="ok"]):not([data-status="info"])').count(), 0)
	// What Paheko does not do is said plainly.
	await page.locator('[data-checks] li[data-status="info"]').getByText(/ne vérifie pas le « state »/).waitFor()
	assert.match(await page.locator('[data-snippet]').textContent(), /OIDC_CLIENT_CALLBACK/)
	await page.getByRole('button', { name: 'Aperçu' }).click()
	await page.locator('[data-preview]').getByText(/fiches à créer/).waitFor({ timeout: 15000 })
	// Jeanne and Hugo already have a record with their e-mail: proposals.
	const jeanne = page.locator('[data-proposals] li[data-uid="jeanne"]')
	await jeanne.getByText(/Relier le compte de .* à la fiche n° \d+, DUPONT Jeanne/).waitFor()
	await page.locator('[data-sync-now]').click()
	await page.locator('[data-runs] li[data-state="done"]').first().waitFor({ timeout: 20000 })
	// The audit log names people and says the fields in words.
	const created = page.locator('[data-audit] tr', { hasText: 'Créer une fiche pour Zoé David' })
	await created.first().waitFor()
	assert.match(await created.first().innerText(), /nom : Zoé David/)
	// The admin confirms Jeanne's and refuses Hugo's.
	await page.getByRole('button', { name: 'Aperçu' }).click()
	await jeanne.locator('[data-confirm]').click()
	await page.getByText(/Le compte de .* est relié à la fiche/).waitFor({ timeout: 15000 })
	await page.locator('[data-proposals] li[data-uid="hugo"] [data-refuse]').click()
	await page.getByText(/a une nouvelle fiche/).waitFor({ timeout: 15000 })
	assert.equal(await page.locator('[data-proposals] li').count(), 0)
	await page.locator('[data-audit]').getByText(/Confirmé : Jeanne Dupont/).waitFor()
	await page.locator('[data-audit]').getByText(/Refusé : Hugo Moreau/).waitFor()
	// Back home, the last synchronisation is told.
	await page.goto(baseURL + '/index.php/apps/app_api/embedded/assokit/assokit')
	await page.locator('[data-feature="paheko"] [data-status]').getByText(/^Dernière synchronisation réussie le /).waitFor({ timeout: 15000 })
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

// Last: the demo's Paheko keeps the old secret afterwards.
test('the admin replaces the sign-on secret after a warning, and renews the keys', async () => {
	const page = await browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, 'camille', 'paheko')
	const snippet = page.locator('[data-snippet]')
	await snippet.waitFor({ timeout: 15000 })
	const secretOf = async () => (await snippet.textContent()).match(/OIDC_CLIENT_SECRET = '([^']+)'/)[1]
	const before = await secretOf()
	await page.locator('[data-new-secret]').click()
	await page.locator('[data-confirm-secret]').getByText('Plus personne ne pourra se connecter à Paheko').waitFor()
	await page.getByRole('button', { name: 'Remplacer le secret', exact: true }).click()
	await page.getByText('Nouveau secret créé.').waitFor({ timeout: 15000 })
	assert.notEqual(await secretOf(), before)
	await page.locator('[data-rotate-keys]').click()
	await page.getByText('Les nouvelles clés de signature sont en service.').waitFor({ timeout: 15000 })
	assert.deepEqual(errors, [])
	await page.close()
})

// Last too: the demo's Paheko is left without its secret.
test('an address on another server asks for the secret again', async () => {
	const page = await browser.newPage()
	await signIn(page, 'camille', 'paheko')
	const address = page.getByLabel('Adresse de Paheko')
	await address.waitFor({ timeout: 15000 })
	await address.fill('https://autre-serveur.example/')
	await page.getByRole('button', { name: 'Enregistrer et tester' }).click()
	await page.getByText('L\'adresse mène à un autre serveur').waitFor({ timeout: 15000 })
	await page.getByText('À créer dans Paheko', { exact: false }).waitFor()
	await page.close()
})
