// Prints the gzip size of the script a page loads first (the registered
// assokit-main.js, the app entry and everything they import statically)
// and, apart, of what each page loads when it opens (its dynamic import
// and the chunks that brings beyond the first ones). Reads the built
// files in js/dist; run by `make bench`.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const dir = 'js/dist/'
const read = (f) => readFileSync(dir + f, 'utf8')
const gz = (f) => gzipSync(read(f), { level: 9 }).length
const staticImports = (f) => [...read(f).matchAll(/(?:import|export)\s*(?:[\w${},*\s]*from\s*)?["']\.\/([^"']+\.js)["']/g)].map((m) => m[1])
const dynamicImports = (f) => [...read(f).matchAll(/import\(\s*["']\.\/([^"']+\.js)["']\s*\)/g)].map((m) => m[1])

/** f and every file it imports statically, transitively. */
function closure(f, seen = new Set()) {
	if (!seen.has(f)) {
		seen.add(f)
		for (const g of staticImports(f)) {
			closure(g, seen)
		}
	}
	return seen
}

const entry = read('assokit-main.js').match(/["']\.\/([^"']+\.js)["']/)[1]
const first = closure(entry)
first.add('assokit-main.js')
const sum = (files) => [...files].reduce((n, f) => n + gz(f), 0)
console.log(`first-loaded script (gzip): ${sum(first)} bytes (${[...first].join(', ')})`)
const pages = new Set([...first].flatMap(dynamicImports))
for (const page of pages) {
	const extra = [...closure(page)].filter((f) => !first.has(f))
	const name = page.replace(/^assokit-/, '').replace(/-[\w-]{8}\.js$/, '')
	console.log(`  page ${name}, loaded when it opens (gzip): ${sum(extra)} bytes`)
}
