// Browser test of the ownership transfer in the embedded demo: the admin
// picks who leaves and who takes over, looks at what will move (Deck boards
// and Talk conversations included, and what stays as it is), starts the
// transfer and follows it to the end, with Debian's Chromium and
// playwright-core.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { signIn, startDemo, stopDemo } from './demo.mjs'
import { checkButtonsWhole, checkNoSideScroll } from './harness.mjs'

let env

before(async () => {
	env = await startDemo()
})

after(() => stopDemo(env))

/**
 * Picks an account in one of the page's account selectors.
 * @param {import('playwright-core').Page} page the page
 * @param {string} which data attribute of the selector
 * @param {string} name what to type, and the start of the option
 */
async function pick(page, which, name) {
	const input = page.locator(`[${which}] input`)
	await input.click()
	await page.keyboard.type(name)
	// Once the answer to the whole name is in, click its option.
	await page.locator(`[${which}].vs--loading`).waitFor({ state: 'detached', timeout: 15000 })
	await page.locator('.vs__dropdown-option:visible', { hasText: name }).first().click({ timeout: 15000 })
	await page.locator(`[${which}] .vs__selected`, { hasText: name }).waitFor()
}

test('the admin moves a departing member\'s data to another account', async () => {
	const page = await env.browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, env.baseURL, 'camille', 'transfers')
	await page.getByRole('heading', { name: 'Transferts', exact: true }).waitFor({ timeout: 15000 })
	await pick(page, 'data-source', 'Hugo')
	await pick(page, 'data-target', 'Chloé')
	await page.locator('[data-inventory]').click()
	const inventory = page.locator('[data-inventory-view]')
	await inventory.getByText('Planning du jardin — 12 événements').waitFor({ timeout: 15000 })
	// A group is named as Nextcloud shows it, not by its id.
	await inventory.getByText('partagé avec Camille Martin, groupe Bureau de l\'association').waitFor()
	await inventory.getByText('Contacts — 3 contacts').waitFor()
	// Deck and Talk: what Hugo owns or moderates, and what stays as it is.
	await inventory.locator('[data-boards]').getByText('Potager 2027 — 3 listes, 4 cartes').waitFor()
	await inventory.locator('[data-conversations]').getByText('Bureau — 2 autres participant·e·s').waitFor()
	await inventory.locator('[data-conversations]').getByText('Chloé Michel la modère déjà').waitFor()
	const stays = inventory.locator('[data-stays-behind]')
	await stays.getByText('Le tableau « Communication » (Chloé Michel) est seulement partagé avec Hugo Moreau').waitFor()
	await stays.getByText('Hugo Moreau participe seulement à la conversation « Café du jardin »').waitFor()
	await stays.getByText('1 conversation privée de Hugo Moreau ne peut pas être confiée').waitFor()
	await page.locator('[data-confirmation]').getByText('Chloé Michel').first().waitFor()
	await page.locator('[data-confirmation]').getByText('Les 2 tableaux choisis appartiendront à Chloé Michel').waitFor()
	await page.locator('[data-start]').click()
	await page.locator('[data-progress]').waitFor({ timeout: 15000 })
	// The progress bar shows (Nextcloud's variables give it its height).
	const bar = await page.locator('[data-progress] progress').evaluate((el) => el.getBoundingClientRect().height)
	assert.ok(bar >= 4, 'progress bar height ' + bar)
	// A running transfer is in the history at once.
	await page.locator('[data-history]').getByText(/ : de Hugo Moreau vers Chloé Michel/).waitFor({ timeout: 5000 })
	// The files step waits for Nextcloud's background jobs (every 2 s in the demo).
	await page.locator('[data-state][data-value="done"]').waitFor({ timeout: 60000 })
	assert.equal(await page.locator('[data-item-state="done"]').count(), 9)
	const items = page.locator('[data-progress]')
	await items.getByText('Tableau : Potager 2027').waitFor()
	assert.equal(await items.getByText('Appartient maintenant à Chloé Michel ; les cartes gardent leurs auteurs et les personnes assignées ; Hugo Moreau en reste membre').count(), 2)
	await items.getByText('Conversation : Arrosage').waitFor()
	assert.equal(await items.getByText('Chloé Michel modère maintenant la conversation ; Hugo Moreau y est toujours').count(), 3)
	await page.locator('[data-ended]').getByText(/^Terminé, le /).waitFor()
	// On a phone, the report and the history are readable whole.
	await page.setViewportSize({ width: 390, height: 844 })
	await page.waitForTimeout(300)
	await checkNoSideScroll(page)
	await checkButtonsWhole(page)
	// The home page tells the last transfer, with names.
	await page.goto(env.baseURL + '/index.php/apps/app_api/embedded/assokit/assokit')
	await page.locator('[data-feature="transfer"] [data-status]').getByText(/^Dernier transfert, de Hugo Moreau vers Chloé Michel : terminé le /).waitFor({ timeout: 15000 })
	assert.deepEqual(errors, [])
	await page.close()
})

// The report tells a board or a conversation handed over before its last
// step failed as the notifications do (the report's handedOver), and the
// step a board or a conversation is at while it runs. The journal of the
// transfer above is rewritten on its way to the page.
test('the report tells what became of a board or a conversation whose last step failed', async () => {
	const page = await env.browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await page.route((url) => /\/admin\/transfers\/\d+$/.test(url.pathname), async (route) => {
		const res = await route.fetch()
		const detail = await res.json()
		const boards = detail.items.filter((it) => it.kind === 'board')
		const talks = detail.items.filter((it) => it.kind === 'conversation')
		Object.assign(boards[0], { state: 'failed', step: 'moved', error: 'transfer_error', handedOver: true })
		Object.assign(boards[1], { state: 'running', step: 'moved' })
		Object.assign(talks[0], { state: 'failed', step: 'promoted', error: 'transfer_error', handedOver: true })
		Object.assign(talks[1], { state: 'failed', step: 'added', error: 'transfer_error' })
		Object.assign(talks[2], { state: 'running', step: 'added' })
		await route.fulfill({ response: res, json: detail })
	})
	await signIn(page, env.baseURL, 'camille', 'transfers')
	await page.locator('[data-history]').getByText(/ : de Hugo Moreau vers Chloé Michel/).first().click({ timeout: 15000 })
	const items = page.locator('[data-progress]')
	await items.getByText('Appartient maintenant à Chloé Michel ; les cartes gardent leurs auteurs et les personnes assignées ; l\'accès de Hugo Moreau n\'a pas pu être retiré : Hugo Moreau en reste membre').waitFor({ timeout: 15000 })
	await items.getByText('Appartient maintenant à Chloé Michel ; retrait de l\'accès de Hugo Moreau').waitFor()
	await items.getByText('Chloé Michel modère maintenant la conversation ; Hugo Moreau n\'a pas pu la quitter et y est toujours').waitFor()
	await items.getByText('Chloé Michel devient modérateur·rice').waitFor()
	// Only the conversation the target does not moderate yet was kept.
	assert.equal(await items.getByText('Cet élément n\'a pas pu être transféré ; l\'original a été conservé.').count(), 1)
	assert.deepEqual(errors, [])
	await page.close()
})

test('a disabled member: the page says so and offers to enable the account for the transfer', async () => {
	const page = await env.browser.newPage({ viewport: { width: 390, height: 844 } })
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, env.baseURL, 'camille', 'transfers')
	await page.getByRole('heading', { name: 'Transferts', exact: true }).waitFor({ timeout: 15000 })
	await pick(page, 'data-source', 'Paul')
	await pick(page, 'data-target', 'Léa')
	await page.locator('[data-inventory]').click()
	const note = page.locator('[data-source-disabled]')
	await note.getByText('Le compte de Paul Fournier est désactivé. Vous pouvez déplacer ses agendas et ses carnets d\'adresses. Pour déplacer aussi ses fichiers et ses partages, activez le compte pendant le transfert :').waitFor({ timeout: 15000 })
	await page.locator('[data-space]').getByText('Léa Laurent n\'a pas de limite d\'espace.').waitFor()
	// The files start unticked, like the enabling they need.
	const allFiles = page.locator('input[data-all-files], [data-all-files] input')
	const enable = page.locator('input[data-enable-source], [data-enable-source] input')
	assert.equal(await enable.isChecked(), false)
	assert.equal(await allFiles.isChecked(), false, 'files of a disabled account are not chosen before enabling it')
	assert.equal(await page.getByText('Pour déplacer les fichiers, activez le compte').count(), 0)
	await note.getByText('Activer le compte de Paul Fournier pendant le transfert').click()
	await page.locator('[data-confirmation]').getByText('Le compte de Paul Fournier est activé pendant le transfert').waitFor()
	assert.equal(await allFiles.isChecked(), true, 'enabling the account chooses its files')
	assert.equal(await page.locator('[data-start]').isDisabled(), false)
	await note.getByText('Activer le compte de Paul Fournier pendant le transfert').click()
	await page.waitForFunction(() => !document.querySelector('input[data-all-files], [data-all-files] input').checked)
	await note.getByText('Activer le compte de Paul Fournier pendant le transfert').click()
	await page.waitForFunction(() => document.querySelector('input[data-all-files], [data-all-files] input').checked)
	if (process.env.ASSOKIT_SCREENSHOTS) {
		await page.screenshot({ path: process.env.ASSOKIT_SCREENSHOTS + '/transfer-disabled.png', fullPage: true })
	}
	assert.deepEqual(errors, [])
})

test('Enter picks the account that matches what was typed, even before the search answers', async () => {
	const page = await env.browser.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	// A slow server: the answer to a search comes a second and a half late.
	await page.route((url) => url.pathname.endsWith('/transfer/accounts') && url.searchParams.get('q'), async (route) => {
		await new Promise((resolve) => setTimeout(resolve, 1500))
		await route.continue()
	})
	await signIn(page, env.baseURL, 'camille', 'transfers')
	await page.getByRole('heading', { name: 'Transferts', exact: true }).waitFor({ timeout: 15000 })
	await page.locator('[data-source].vs--loading').waitFor({ state: 'detached', timeout: 15000 })
	await page.locator('[data-source] input').click()
	await page.keyboard.type('Léa')
	await page.keyboard.press('Enter')
	await page.locator('[data-source] .vs__selected').getByText('Léa Laurent').waitFor({ timeout: 5000 })
	// The second picker too.
	await page.locator('[data-target] input').focus()
	await page.keyboard.type('chloe')
	await page.keyboard.press('Enter')
	await page.locator('[data-target] .vs__selected').getByText('Chloé Michel').waitFor({ timeout: 5000 })
	assert.deepEqual(errors, [])
	await page.close()
})
