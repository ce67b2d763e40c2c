// Browser tests of the page frame every AssoKit page shares, inside the
// demo's stand-in for Nextcloud 32's page (same frame, same fixed and
// clipped content area, same CSS variables): every page passes axe-core and
// has an opaque panel, the whole of the longest page can be reached by
// wheel, touch scroll and Tab, what Nextcloud put in the page stays, and
// the @nextcloud/vue controls look as in Nextcloud.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDemo, stopDemo } from './demo.mjs'
import { checkA11y, checkButtonsWhole, checkNoSideScroll, checkOpaquePanel, inView, open, swipeUp } from './harness.mjs'

let env

before(async () => { env = await startDemo() })
after(() => stopDemo(env))

const menus = ['assokit', 'paheko', 'tours', 'transfers']
const panel = '#app-content-vue'

/** Waits until the page has loaded its data (no loading block left). */
async function loaded(page) {
	await page.locator(panel + ' h2').first().waitFor({ timeout: 15000 })
	await page.waitForFunction(() => !document.querySelector('#app-content-vue .load-state'), null, { timeout: 15000 })
	await page.waitForTimeout(300)
}

/** The last control a keyboard can reach in AssoKit's panel. */
function lastFocusable(page) {
	return page.evaluateHandle((sel) => {
		const all = [...document.querySelector(sel).querySelectorAll('a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])')]
		return all.filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden').pop()
	}, panel)
}

for (const [uid, who] of [['camille', 'an admin'], ['lea', 'a member'], ['jeanne', 'a paheko_compta member']]) {
	for (const mode of ['mouse', 'touch']) {
		test(`every page, for ${who} (${mode === 'mouse' ? '1280×800' : 'phone'}): accessible, on an opaque panel, no sideways scroll`, async () => {
			const { page, context, errors } = await open(env, mode, uid)
			for (const menu of menus) {
				const resp = await page.goto(env.baseURL + '/index.php/apps/app_api/embedded/assokit/' + menu)
				if (menu === 'transfers' && uid !== 'camille') {
					// Admin-only entry: Nextcloud's own "page not found".
					assert.equal(resp.status(), 404)
					await page.getByRole('heading', { name: 'Page introuvable' }).waitFor()
					continue
				}
				await loaded(page)
				await checkA11y(page)
				await checkOpaquePanel(page)
				if (mode === 'touch') {
					await checkNoSideScroll(page)
					await checkButtonsWhole(page)
				}
			}
			assert.deepEqual(errors, [])
			await context.close()
		})
	}
}

test('what Nextcloud put in the page stays; headings are in order', async () => {
	const { page, context } = await open(env, 'keys', 'camille')
	for (const menu of menus) {
		await page.goto(env.baseURL + '/index.php/apps/app_api/embedded/assokit/' + menu)
		await loaded(page)
		const frame = await page.evaluate(() => ({
			contents: document.querySelectorAll('[id="content"]').length,
			heading: document.getElementById('page-heading-level-1')?.textContent.trim(),
			skip: [...document.querySelectorAll('#skip-actions a[href^="#"]')].filter((a) => a.offsetParent !== null || true)
				.map((a) => [a.getAttribute('href'), !!document.getElementById(a.getAttribute('href').slice(1))]),
		}))
		assert.equal(frame.contents, 2, menu + ': both #content elements stay')
		assert.equal(frame.heading, 'Nextcloud', menu + ': Nextcloud\'s hidden h1 stays')
		assert.ok(frame.skip.some(([href, exists]) => href === '#app-content-vue' && exists), menu + ': "skip to main content" has a target: ' + JSON.stringify(frame.skip))
		const headings = await page.evaluate((sel) => [...document.querySelector(sel).querySelectorAll('h1, h2, h3, h4, h5, h6')]
			.filter((h) => h.getClientRects().length)
			.map((h) => ({ level: Number(h.tagName[1]), size: parseFloat(getComputedStyle(h).fontSize), text: h.textContent.trim() })), panel)
		assert.equal(headings[0].level, 2, menu + ': the page starts with its h2')
		assert.equal(headings.filter((h) => h.level === 2).length, 1, menu + ': one h2 per page')
		for (let i = 1; i < headings.length; i++) {
			assert.ok(headings[i].level <= headings[i - 1].level + 1, `${menu}: no level skipped before "${headings[i].text}"`)
		}
		for (const h of headings) {
			for (const k of headings) {
				if (h.level < k.level) {
					assert.ok(h.size > k.size, `${menu}: h${h.level} "${h.text}" (${h.size}px) is larger than h${k.level} "${k.text}" (${k.size}px)`)
				}
			}
		}
	}
	await context.close()
})

/** Opens the admin's longest page; resolves to its menu. */
async function longest(page) {
	let best = { menu: '', height: 0 }
	for (const menu of ['assokit', 'paheko', 'tours']) {
		await page.goto(env.baseURL + '/index.php/apps/app_api/embedded/assokit/' + menu)
		await loaded(page)
		const height = await page.locator(panel).evaluate((el) => el.scrollHeight)
		if (height > best.height) {
			best = { menu, height }
		}
	}
	await page.goto(env.baseURL + '/index.php/apps/app_api/embedded/assokit/' + best.menu)
	await loaded(page)
	const visible = await page.locator(panel).evaluate((el) => el.clientHeight)
	assert.ok(best.height > visible * 1.2, `the longest page (${best.menu}, ${best.height}px) is taller than the window (${visible}px)`)
	return best.menu
}

/**
 * Opens the admin's longest page in mode, then calls move until the last
 * element of the page is in view (at most 40 times), and fails if it never is.
 */
async function reachLast(mode, move) {
	const { page, context } = await open(env, mode, 'camille')
	await longest(page)
	const last = (await lastFocusable(page)).asElement()
	assert.equal(await inView(last), false, 'the last element starts out of view')
	for (let i = 0; i < 40 && !(await inView(last)); i++) {
		await move(page, last)
	}
	assert.ok(await inView(last), 'the last element is brought into view')
	await context.close()
}

test('the last element of the longest page is reached by wheel', () => reachLast('mouse', async (page) => {
	await page.mouse.move(640, 400)
	await page.mouse.wheel(0, 300)
	await page.waitForTimeout(50)
}))

test('the last element of the longest page is reached by touch scrolling on a phone', () => reachLast('touch', (page) => swipeUp(page, 195, 650, 400)))

test('the last element of the longest page is reached with Tab', () => reachLast('keys', async (page, last) => {
	for (let i = 0; i < 10 && !(await last.evaluate((el) => el === document.activeElement)); i++) {
		await page.keyboard.press('Tab')
	}
}))

test('@nextcloud/vue controls look as in Nextcloud: bordered inputs, primary buttons keep their label on hover', async () => {
	const { page, context } = await open(env, 'mouse', 'camille', 'paheko')
	await loaded(page)
	const input = page.locator(panel + ' input[type="text"], ' + panel + ' input[type="url"]').first()
	const ring = await input.evaluate((el) => {
		const wrapper = el.closest('.input-field__main-wrapper') ?? el
		const all = [el, wrapper].map((e) => getComputedStyle(e))
		return all.some((s) => (parseFloat(s.borderTopWidth) >= 1 && s.borderTopColor !== 'rgba(0, 0, 0, 0)') || (s.boxShadow !== 'none' && s.boxShadow !== ''))
	})
	assert.ok(ring, 'text fields have a visible border')
	const primary = page.locator(panel + ' .button-vue--primary:not([disabled])').first()
	await primary.scrollIntoViewIfNeeded()
	await primary.hover()
	// Once the hover transition is over.
	let look
	for (let i = 0; i < 20; i++) {
		look = await primary.evaluate((el) => {
			const s = getComputedStyle(el)
			return { bg: s.backgroundColor, color: s.color, height: el.getBoundingClientRect().height }
		})
		if (look.bg === 'rgb(0, 80, 122)') {
			break
		}
		await page.waitForTimeout(100)
	}
	assert.equal(look.bg, 'rgb(0, 80, 122)', 'primary hover is --color-primary-element-hover')
	assert.equal(look.color, 'rgb(255, 255, 255)', 'and its label stays white')
	assert.ok(look.height >= 34, 'buttons are at least the clickable area high')
	await context.close()
})
