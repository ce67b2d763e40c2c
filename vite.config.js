// Builds AssoKit's pages into js/dist, which the Go binary embeds:
// - assokit-main.js, the script registered with AppAPI. AppAPI loads it with
//   a plain <script defer> (not a module), so it is a few lines that import
//   the app as an ES module; the page's nonce carries over to import().
// - assokit-app-<hash>.js, the app shell (Vue, the page frame), and one
//   chunk per page, loaded when that page opens (dynamic import);
// - assokit-main.css, every style, registered with AppAPI as well.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

/** Writes assokit-main.js, which imports the hashed app entry. */
function classicLoader() {
	return {
		name: 'assokit-classic-loader',
		generateBundle(options, bundle) {
			const entry = Object.values(bundle).find((f) => f.type === 'chunk' && f.isEntry)
			this.emitFile({
				type: 'asset',
				fileName: 'assokit-main.js',
				source: `import(new URL(${JSON.stringify('./' + entry.fileName)}, document.currentScript.src).href)\n`,
			})
		},
	}
}

export default defineConfig({
	plugins: [vue(), classicLoader()],
	define: {
		'process.env.NODE_ENV': JSON.stringify('production'),
		appName: JSON.stringify('assokit'),
		appVersion: JSON.stringify('0.1.0'),
	},
	build: {
		outDir: 'js/dist',
		emptyOutDir: false, // keeps js/dist/.gitkeep; npm run build removes the old files
		cssCodeSplit: false,
		modulePreload: false,
		lib: {
			entry: 'js/src/main.js',
			formats: ['es'],
			fileName: () => 'assokit-app-[hash].js',
			cssFileName: 'assokit-main',
		},
		rollupOptions: {
			output: { chunkFileNames: 'assokit-[name]-[hash].js' },
		},
	},
})
