// Measures, in the demo with Debian's Chromium, the time from clicking
// "Commencer" to the first highlighted step, and from the frame's load to
// that step, over several runs of the Files tour. Run by `make bench`.
import { signIn, startDemo, stopDemo } from '../tests/demo.mjs'

const runs = Number(process.env.RUNS ?? 7)
const env = await startDemo()
try {
	const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } })
	await signIn(page, env.baseURL, 'lea', 'tours')
	await page.locator('[data-tour-card="files"] [data-tour-start]').waitFor({ timeout: 15000 })
	const fromClick = []
	const fromFrame = []
	for (let i = 0; i < runs; i++) {
		await page.locator('[data-tour-card="files"] [data-tour-start]').click()
		await page.locator('[data-tour-player] [role="dialog"][data-step="navigation"]').waitFor({ state: 'visible' })
		await page.locator('.tour-player__highlight').waitFor()
		const m = await page.evaluate(() => {
			const get = (n) => performance.getEntriesByName(n)[0].startTime
			return { start: get('assokit:tour-start'), frame: get('assokit:tour-frame-loaded'), first: get('assokit:tour-first-step') }
		})
		fromClick.push(m.first - m.start)
		fromFrame.push(m.first - m.frame)
		await page.keyboard.press('Escape')
		await page.locator('[data-tour-player]').waitFor({ state: 'detached' })
	}
	const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
	const f = (x) => x.toFixed(1) + ' ms'
	console.log(`tour start, ${runs} runs: "Commencer" → first highlighted step: median ${f(median(fromClick))}, max ${f(Math.max(...fromClick))}`)
	console.log(`tour start, ${runs} runs: frame loaded → first highlighted step: median ${f(median(fromFrame))}, max ${f(Math.max(...fromFrame))}`)
} finally {
	await stopDemo(env)
}
