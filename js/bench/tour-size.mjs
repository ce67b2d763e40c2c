// Prints how much JavaScript the tour player adds to the page bundle
// (gzip): the bundle as shipped, the same bundle with the Découvrir page
// replaced by an empty component, and the difference. Run by `make bench`.
import { build } from 'vite'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const stub = fileURLToPath(new URL('./empty-page.vue', import.meta.url))

async function bundleSize(withoutTours) {
	const out = await build({
		configFile: 'vite.config.js',
		logLevel: 'silent',
		build: { write: false, emptyOutDir: false },
		plugins: withoutTours
			? [{
				name: 'no-tours',
				enforce: 'pre',
				resolveId(id) { return id.endsWith('/ToursPage.vue') ? stub : null },
			}]
			: [],
	})
	const chunk = [out].flat()[0].output.find((o) => o.fileName.endsWith('.js'))
	return gzipSync(chunk.code, { level: 9 }).length
}

const full = await bundleSize(false)
const without = await bundleSize(true)
console.log(`page script with the tours (gzip): ${full} bytes`)
console.log(`page script without the tours (gzip): ${without} bytes`)
console.log(`tour player and Découvrir page beyond the shared bundle (gzip): ${full - without} bytes`)
