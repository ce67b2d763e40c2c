// Browser tests of the header of the demo's stand-in for Nextcloud 32's
// page on a phone: as core's AppMenu.vue does, the apps that do not fit go
// into a "More apps" menu button, so another app is reachable from the
// header by tap and by keyboard, not only through the logo.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDemo, stopDemo } from './demo.mjs'
import { checkA11y, open, tabTo } from './harness.mjs'

let env

before(async () => { env = await startDemo() })
after(() => stopDemo(env))

const pahekoPage = /\/apps\/app_api\/embedded\/assokit\/paheko$/

/** The "More apps" button of the header and the name of the Paheko entry in its menu. */
async function overflow(page) {
	const more = page.locator('#header').getByRole('button', { name: 'Plus d\'applications' })
	await more.waitFor({ state: 'visible' })
	const name = await page.locator('#app-menu-overflow a[href$="/embedded/assokit/paheko"]').evaluate((a) => a.textContent.trim())
	return { more, name }
}

test('on a phone, the header shows the current app and a "More apps" menu; a tap on an entry opens that app', async () => {
	const { page, context, errors } = await open(env, 'touch', 'camille')
	const current = page.locator('#header-start__appmenu a[aria-current="page"]')
	assert.ok(await current.isVisible(), 'the current app stays in the header')
	const { more, name } = await overflow(page)
	assert.equal(await more.getAttribute('aria-expanded'), 'false')
	await more.tap()
	assert.equal(await more.getAttribute('aria-expanded'), 'true')
	const entry = page.getByRole('menuitem', { name })
	await entry.waitFor({ state: 'visible' })
	await checkA11y(page, '#header')
	const box = await entry.boundingBox()
	assert.ok(box.height >= 44 && box.x >= 0 && box.x + box.width <= 390, 'the entry is whole on screen and tall enough to tap: ' + JSON.stringify(box))
	await entry.tap()
	await page.waitForURL(pahekoPage)
	assert.deepEqual(errors, [])
	await context.close()
})

test('on a phone, the "More apps" menu works with the keyboard: Tab, Enter, arrows, Escape', async () => {
	const { page, context, errors } = await open(env, 'touch', 'camille')
	const { more, name } = await overflow(page)
	await tabTo(page, more)
	await page.keyboard.press('Enter')
	assert.equal(await more.getAttribute('aria-expanded'), 'true')
	const first = page.locator('#app-menu-overflow a').first()
	assert.ok(await first.evaluate((el) => el === document.activeElement), 'Enter puts the focus on the first entry')
	await page.keyboard.press('Escape')
	assert.equal(await more.getAttribute('aria-expanded'), 'false', 'Escape closes the menu')
	assert.ok(await more.evaluate((el) => el === document.activeElement), 'and gives the focus back to the button')
	await page.keyboard.press('ArrowDown')
	const entry = page.getByRole('menuitem', { name })
	for (let i = 0; i < 20 && !(await entry.evaluate((el) => el === document.activeElement)); i++) {
		await page.keyboard.press('ArrowDown')
	}
	assert.ok(await entry.evaluate((el) => el === document.activeElement), 'the arrows reach the Paheko entry')
	await page.keyboard.press('Enter')
	await page.waitForURL(pahekoPage)
	assert.deepEqual(errors, [])
	await context.close()
})

test('on a wide screen, every app is in the header and the "More apps" button is not shown', async () => {
	const { page, context } = await open(env, 'mouse', 'camille')
	await page.locator('#header-start__appmenu a[href$="/embedded/assokit/paheko"]').first().waitFor({ state: 'visible' })
	assert.equal(await page.locator('#header').getByRole('button', { name: 'Plus d\'applications' }).isVisible(), false)
	await context.close()
})
