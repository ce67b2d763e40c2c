// Builds the page bundle as one classic script (AppAPI loads registered
// scripts with a plain <script defer>, not as modules) and one stylesheet,
// into js/dist, which the Go binary embeds.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
	plugins: [vue()],
	define: {
		'process.env.NODE_ENV': JSON.stringify('production'),
		appName: JSON.stringify('assokit'),
		appVersion: JSON.stringify('0.1.0'),
	},
	build: {
		outDir: 'js/dist',
		emptyOutDir: false, // keeps js/dist/.gitkeep; file names are fixed
		cssCodeSplit: false,
		lib: {
			entry: 'js/src/main.js',
			name: 'AssoKit',
			formats: ['iife'],
			fileName: () => 'assokit-main.js',
			cssFileName: 'assokit-main',
		},
		rollupOptions: { output: { inlineDynamicImports: true } },
	},
})
