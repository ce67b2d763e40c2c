// The tour engine: finds a step's element inside the same-origin frame that
// shows the Nextcloud page, and places the highlight and the popover over it
// in AssoKit's page. No dependency: it must stay small.

/**
 * The element matching selector in doc, or null (a selector Nextcloud's
 * page does not understand counts as missing).
 * @param {Document} doc the frame's document
 * @param {string} selector a CSS selector
 */
export function query(doc, selector) {
	try {
		return doc.querySelector(selector)
	} catch {
		return null
	}
}

/**
 * Whether el takes room on the page (not display:none, not zero-sized).
 * @param {Element} el an element
 */
export function visible(el) {
	const r = el.getBoundingClientRect()
	return r.width > 0 && r.height > 0
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()))

/**
 * Finds the element of step in doc: does the step's action first (such as
 * opening a panel), then tries its targets in order until one is visible
 * or timeout (ms) passes. Resolves to { el, target } or null when the step
 * has no target or none was found (the step is then shown centred).
 * @param {Document} doc the frame's document
 * @param {object} step a step of the tour data
 * @param {number} timeout how long to wait for the page to render it
 */
export async function locate(doc, step, timeout) {
	if (!step.targets?.length) {
		return null
	}
	const start = performance.now()
	let acted = !step.action?.click
	for (;;) {
		if (!acted) {
			const a = query(doc, step.action.click.selector)
			if (a) {
				a.click()
				acted = true
			}
		}
		for (const target of step.targets) {
			const el = query(doc, target.selector)
			if (el && visible(el)) {
				return { el, target }
			}
		}
		if (performance.now() - start > timeout) {
			return null
		}
		await nextFrame()
	}
}

/**
 * The rectangle of el, inside frame, in the coordinates of AssoKit's page.
 * @param {HTMLIFrameElement} frame the frame showing the Nextcloud page
 * @param {Element} el an element of the frame's document
 */
export function rectInPage(frame, el) {
	const f = frame.getBoundingClientRect()
	const r = el.getBoundingClientRect()
	return { top: f.top + r.top, left: f.left + r.left, width: r.width, height: r.height }
}

const opposite = { top: 'bottom', bottom: 'top', left: 'right', right: 'left' }

/**
 * Where to put a popover of size pop next to rect, on the preferred side
 * when it fits in the viewport, else on another side, else clamped inside.
 * @param {object} rect the highlighted rectangle {top, left, width, height}
 * @param {object} pop the popover's {width, height}
 * @param {string} placement the preferred side
 * @param {object} viewport {width, height} and top, where the visible
 *   area starts (below Nextcloud's header; 0 if not given)
 * @return {{top: number, left: number, side: string}}
 */
export function place(rect, pop, placement, viewport) {
	const gap = 14
	const margin = 8
	const top = (viewport.top ?? 0) + margin
	const sides = [placement || 'bottom', opposite[placement || 'bottom'], 'bottom', 'right', 'top', 'left']
	const at = {
		top: () => ({ top: rect.top - pop.height - gap, left: rect.left + rect.width / 2 - pop.width / 2 }),
		bottom: () => ({ top: rect.top + rect.height + gap, left: rect.left + rect.width / 2 - pop.width / 2 }),
		left: () => ({ top: rect.top + rect.height / 2 - pop.height / 2, left: rect.left - pop.width - gap }),
		right: () => ({ top: rect.top + rect.height / 2 - pop.height / 2, left: rect.left + rect.width + gap }),
	}
	const clamp = (p) => ({
		top: Math.max(Math.min(p.top, viewport.height - pop.height - margin), top),
		left: Math.min(Math.max(p.left, margin), viewport.width - pop.width - margin),
	})
	for (const side of sides) {
		const p = at[side]()
		const fitsAcross = side === 'top' || side === 'bottom'
			? p.top >= top && p.top + pop.height <= viewport.height - margin
			: p.left >= margin && p.left + pop.width <= viewport.width - margin
		if (fitsAcross) {
			return { ...clamp(p), side }
		}
	}
	return { ...clamp(at.bottom()), side: 'bottom' }
}

/**
 * The focusable elements inside root, in order (for the Tab trap).
 * @param {Element} root the popover
 */
export function focusables(root) {
	return [...root.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])')]
		.filter((el) => el.offsetParent !== null || el === document.activeElement)
}
