// Writes l10n/<lang>.js from l10n/<lang>.json: the two forms of an app's
// translations that Nextcloud reads (the .json on the server, for the
// top-menu names, the settings form and notifications; the .js that
// registers them in pages). AssoKit's own pages import the .json.
// Run by `npm run build`; a Go test checks that both forms agree.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

for (const file of readdirSync('l10n').filter((f) => f.endsWith('.json'))) {
	const { translations, pluralForm } = JSON.parse(readFileSync('l10n/' + file, 'utf8'))
	const js = 'OC.L10N.register(\n\t"assokit",\n\t' + JSON.stringify(translations, null, 0).replace(/","/g, '", "').replace(/":"/g, '": "') +
		',\n\t' + JSON.stringify(pluralForm) + '\n);\n'
	writeFileSync('l10n/' + file.replace(/\.json$/, '.js'), js)
}
