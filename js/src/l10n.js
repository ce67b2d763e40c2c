// Translations in Nextcloud's l10n format (l10n/<lang>.json), keyed by the
// English text. The page's language is the one Nextcloud puts on <html lang>.
import fr from '../../l10n/fr.json'
import en from '../../l10n/en.json'

const catalogs = { fr: fr.translations, en: en.translations }

/** The language of the page, "fr" or "en" (French for any fr-* locale). */
export function language() {
	const lang = (document.documentElement.lang || 'en').toLowerCase()
	return lang.startsWith('fr') ? 'fr' : 'en'
}

/**
 * Translates text and fills its {placeholders} from vars.
 * @param {string} text the English source text
 * @param {object} vars values for {placeholders}
 */
export function t(text, vars = {}) {
	const translated = catalogs[language()][text] ?? text
	return translated.replace(/{(\w+)}/g, (m, k) => (k in vars ? String(vars[k]) : m))
}

/** The text shown for a stable error code answered by AssoKit's API. */
export function errorText(code) {
	const texts = {
		nextcloud_unreachable: 'Nextcloud does not answer AssoKit at the moment. Try again in a few minutes; if it lasts, tell your administrator.',
		nextcloud_refused: 'Nextcloud refuses AssoKit\'s credentials. An administrator should register AssoKit again.',
		admin_required: 'This part is for the association\'s administrators.',
		not_signed_in: 'You are not signed in to Nextcloud any more. Reload the page to sign in again.',
		unauthenticated: 'You are not signed in to Nextcloud any more. Reload the page to sign in again.',
		network: 'AssoKit cannot be reached. Check your connection and reload the page.',
		invalid_settings: 'Check the address of Paheko (it starts with https://) and the interval (at least 10 seconds).',
		bad_request: 'Something in the form is not right. Check it and try again.',
		paheko_not_configured: 'Enter the address of Paheko and its API key first.',
		paheko_no_admin: 'The administrator who saved these settings is no longer an administrator. Save the settings again.',
		paheko_unreachable: 'Paheko does not answer. Check its address; AssoKit will try again by itself.',
		paheko_refused: 'Paheko refuses this API key. Check the identifier and the password of the key.',
		paheko_key_read_only: 'This API key may only read. Create a key with the “write” level in Paheko.',
		paheko_not_paheko: 'The address does not lead to a Paheko. Check it.',
		refused: 'Paheko refused this change.',
	}
	return t(texts[code] ?? 'Something went wrong. Reload the page; if it happens again, tell your administrator.')
}
