// How the browser tests act on AssoKit's pages: as people do, through the
// visible controls, in three ways that each must work on its own —
//   mouse: clicks in a 1280×800 window,
//   touch: taps in a 390×844 phone window with a touch screen,
//   keys:  Tab to the control, then Enter (Space for a checkbox).
// Plus the checks every page passes: axe-core (no serious or critical
// violation in AssoKit's own tree) and an opaque panel behind AssoKit's text.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'
import { signIn } from './demo.mjs'

/** The browser context of each way of acting. */
export const modes = {
	mouse: { viewport: { width: 1280, height: 800 } },
	touch: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
	keys: { viewport: { width: 1280, height: 800 } },
}

/**
 * Opens a page in a fresh browser context for mode, signed in as uid on the
 * top-menu page menu. Resolves to { page, context, errors } where errors
 * collects the page's uncaught script errors.
 * @param {object} env what startDemo returned
 * @param {string} mode "mouse", "touch" or "keys"
 * @param {string} uid a demo account
 * @param {string} menu a top-menu entry of AssoKit
 */
export async function open(env, mode, uid, menu = 'assokit') {
	const context = await env.browser.newContext({ ...modes[mode], locale: 'fr-FR' })
	const page = await context.newPage()
	const errors = []
	page.on('pageerror', (e) => errors.push(e.message))
	await signIn(page, env.baseURL, uid, menu)
	return { page, context, errors }
}

/**
 * Moves the keyboard focus to target by pressing Tab (at most max times),
 * and fails when Tab never reaches it.
 * @param {import('playwright-core').Page} page the page
 * @param {import('playwright-core').Locator} target the control
 * @param {number} max how many Tab presses to try
 */
export async function tabTo(page, target, max = 80) {
	await target.waitFor({ state: 'visible' })
	for (let i = 0; i < max; i++) {
		if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))) {
			return
		}
		await page.keyboard.press('Tab')
	}
	assert.fail('Tab never reaches ' + target)
}

/**
 * Uses a control the way mode does: a click, a tap, or Tab then Enter
 * (Space for checkboxes and switches).
 * @param {import('playwright-core').Page} page the page
 * @param {string} mode "mouse", "touch" or "keys"
 * @param {import('playwright-core').Locator} target the control
 */
export async function act(page, mode, target) {
	await target.waitFor({ state: 'visible' })
	if (mode === 'mouse') {
		await target.click()
	} else if (mode === 'touch') {
		await target.scrollIntoViewIfNeeded()
		await target.tap()
	} else {
		await tabTo(page, target)
		const toggle = await target.evaluate((el) => el.matches('input[type="checkbox"], input[type="radio"], [role="switch"], [role="checkbox"]'))
		await page.keyboard.press(toggle ? 'Space' : 'Enter')
	}
}

/**
 * Ticks or unticks a checkbox or switch through its visible label, the way
 * mode does (the input itself is hidden by @nextcloud/vue).
 * @param {import('playwright-core').Page} page the page
 * @param {string} mode "mouse", "touch" or "keys"
 * @param {import('playwright-core').Locator} input the checkbox input
 * @param {boolean} on whether it must end up ticked
 */
export async function setChecked(page, mode, input, on) {
	if ((await input.isChecked()) === on) {
		return
	}
	if (mode === 'keys') {
		await tabTo(page, input)
		await page.keyboard.press('Space')
	} else {
		const label = input.locator('xpath=ancestor::*[contains(@class, "checkbox-radio-switch")][1]').locator('.checkbox-radio-switch__content')
		await label.scrollIntoViewIfNeeded()
		await (mode === 'touch' ? label.tap() : label.click())
	}
	assert.equal(await input.isChecked(), on)
}

/**
 * Types text into a text field reached the way mode does.
 * @param {import('playwright-core').Page} page the page
 * @param {string} mode "mouse", "touch" or "keys"
 * @param {import('playwright-core').Locator} input the field
 * @param {string} text what to type (replaces the field's value)
 */
export async function type(page, mode, input, text) {
	if (mode === 'keys') {
		await tabTo(page, input)
	} else {
		await act(page, mode, input)
	}
	await page.keyboard.press('Control+A')
	await page.keyboard.type(text)
}

let axeSource
const require = createRequire(import.meta.url)

/** AssoKit's own tree in the page (what the accessibility check covers). */
export const assokitRoot = '#content-vue'

/**
 * Runs axe-core in the page on AssoKit's tree (or on scope) and fails on
 * any serious or critical violation.
 * @param {import('playwright-core').Page} page the page
 * @param {string} scope a CSS selector of what to check
 */
export async function checkA11y(page, scope = assokitRoot) {
	axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8')
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
		await page.evaluate(axeSource)
	}
	const found = await page.evaluate(async (sel) => {
		const r = await window.axe.run({ include: [[sel]] }, { resultTypes: ['violations'] })
		return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => `${v.id} (${v.impact}): ${v.help} — ` + v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + n.failureSummary.replace(/\s+/g, ' ')).join(' | '))
	}, scope)
	assert.deepEqual(found, [], 'accessibility of ' + scope)
}

/**
 * Fails unless every element from AssoKit's text up to its panel is
 * either transparent or fully opaque, with an opaque one among them: axe
 * cannot judge text over Nextcloud's wallpaper, so the panel must hide it.
 * @param {import('playwright-core').Page} page the page
 * @param {string} text a selector of some text of the page
 */
export async function checkOpaquePanel(page, text = assokitRoot + ' h2') {
	const chain = await page.locator(text).first().evaluate((el) => {
		const out = []
		for (let e = el; e && e !== document.body; e = e.parentElement) {
			out.push({ id: e.id, cls: String(e.className), bg: getComputedStyle(e).backgroundColor })
		}
		return out
	})
	const alpha = (c) => {
		const m = c.match(/rgba?\(([^)]+)\)/)
		const parts = m ? m[1].split(/[ ,/]+/).filter(Boolean) : []
		return parts.length === 4 ? Number(parts[3]) : 1
	}
	const opaque = chain.find((e) => e.bg !== 'transparent' && alpha(e.bg) === 1)
	assert.ok(opaque, 'an opaque panel behind the text: ' + JSON.stringify(chain))
}

/**
 * Fails when the page scrolls sideways (content wider than the window).
 * @param {import('playwright-core').Page} page the page
 */
export async function checkNoSideScroll(page) {
	const wide = await page.evaluate(() => {
		const out = []
		const vw = document.documentElement.clientWidth
		if (document.documentElement.scrollWidth > vw) {
			out.push('document ' + document.documentElement.scrollWidth + ' > ' + vw)
		}
		for (const el of document.querySelectorAll('#content-vue *')) {
			const r = el.getBoundingClientRect()
			if (r.width > 0 && r.right > vw + 1 && getComputedStyle(el).position !== 'fixed') {
				out.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0]) + ' ends at ' + Math.round(r.right))
			}
		}
		return out.slice(0, 5)
	})
	assert.deepEqual(wide, [], 'nothing wider than the window')
}

/**
 * Whether el is inside the window and not hidden by the clipped content
 * area (what a person can see).
 * @param {import('playwright-core').Locator} target an element
 */
export async function inView(target) {
	return target.evaluate((el) => {
		const r = el.getBoundingClientRect()
		const top = document.getElementById('header')?.getBoundingClientRect().bottom ?? 0
		return r.height > 0 && r.top >= top - 1 && r.bottom <= window.innerHeight + 1
	})
}

/**
 * Swipes up by distance pixels from (x, y) with one finger, through
 * Chromium's DevTools protocol (playwright-core has no swipe): real touch
 * events, so the browser scrolls what a finger there would scroll.
 * @param {import('playwright-core').Page} page the page (its context has hasTouch)
 * @param {number} x where the finger lands
 * @param {number} y where the finger lands
 * @param {number} distance how far up it moves
 */
export async function swipeUp(page, x, y, distance) {
	const cdp = await page.context().newCDPSession(page)
	await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] })
	for (let d = 10; d <= distance; d += 10) {
		await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y - d }] })
	}
	await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
	await cdp.detach()
	await page.waitForTimeout(100)
}

/**
 * Fails when a button of AssoKit's panel shows its label cut ("C…"):
 * buttons say what they do, whole, on a phone too.
 * @param {import('playwright-core').Page} page the page
 */
export async function checkButtonsWhole(page) {
	const cut = await page.evaluate((sel) => [...document.querySelectorAll(sel + ' .button-vue')]
		.filter((b) => b.textContent.trim() && b.getClientRects().length && [b, ...b.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1))
		.map((b) => b.textContent.trim()), assokitRoot)
	assert.deepEqual(cut, [], 'buttons shown whole')
}
