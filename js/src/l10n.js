// Translations the Nextcloud way: @nextcloud/l10n with Nextcloud's plural
// rules, from the catalogues in l10n/ (Nextcloud's format, keyed by the
// English text). The pages bring their own catalogue: they do not depend on
// Nextcloud serving AssoKit's l10n/. The page's language is the one
// Nextcloud puts on <html lang>. How to write the texts: docs/writing.md.
import { getLanguage, register, translate, translatePlural } from '@nextcloud/l10n'
import fr from '../../l10n/fr.json'

const app = 'assokit'
const catalogs = { fr: fr.translations }
// Plain text for Vue's text interpolation, which escapes by itself.
const asText = { escape: false, sanitize: false }

/** The language of the page, "fr" or "en" (French for any fr-* locale). */
export function language() {
	return (getLanguage() || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

if (catalogs[language()]) {
	register(app, catalogs[language()])
}

/**
 * Translates text and fills its {placeholders} from vars.
 * @param {string} text the English source text
 * @param {object} vars values for {placeholders}
 */
export function t(text, vars = {}) {
	return translate(app, text ?? '', vars, undefined, asText)
}

/**
 * Translates a text with a singular and a plural form, the form chosen by
 * count with the language's plural rule (French: 0 and 1 are singular),
 * and fills its {placeholders} from vars.
 * @param {string} singular the English singular
 * @param {string} plural the English plural
 * @param {number} count the number deciding the form
 * @param {object} vars values for {placeholders}
 */
export function n(singular, plural, count, vars = {}) {
	return translatePlural(app, singular, plural, count, vars, asText)
}

/** Texts of codes that name someone, used when errorText is given the name. */
const namedTexts = {
	paheko_no_admin: '{name} is no longer an administrator of this Nextcloud, and AssoKit reads the accounts with these rights: save the settings again so that AssoKit uses yours.',
}

/** What is shown for an error without a text of its own. */
const somethingWrong = 'Something went wrong. Reload the page; if it happens again, tell your administrator.'

/**
 * The text shown for a stable error code answered by AssoKit's API. Every
 * code the server declares (Go: errcode.New) has its entry here, checked by
 * internal/web's tests, and its French in l10n/fr.json.
 * @param {string} code the code
 * @param {object} vars values for the text's {placeholders} (name: the admin's name for paheko_no_admin)
 */
export function errorText(code, vars = {}) {
	const texts = {
		internal: somethingWrong,
		method_not_allowed: somethingWrong,
		nextcloud_only: somethingWrong, // /init and /enabled: Nextcloud's calls, never a page's
		nextcloud_unreachable: 'Nextcloud does not answer AssoKit at the moment. Try again in a few minutes; if it lasts, tell your administrator.',
		nextcloud_too_large: 'Nextcloud sent more than AssoKit reads at once (over 64 MiB for a list, 20 MiB for one event or contact). Nothing was cut or changed; the original was kept.',
		nextcloud_refused: 'Nextcloud refuses AssoKit\'s credentials. An administrator should register AssoKit again.',
		admin_required: 'This part is for the association\'s administrators.',
		not_signed_in: 'You are not signed in to Nextcloud any more. Reload the page to sign in again.',
		unauthenticated: 'You are not signed in to Nextcloud any more. Reload the page to sign in again.',
		network: 'AssoKit cannot be reached. Check your connection and reload the page.',
		invalid_settings: 'Check the address of Paheko (it starts with https://) and the interval (at least 10 seconds).',
		paheko_url_invalid: 'This is not a web address. Copy the address of your Paheko from your browser: it starts with https://.',
		paheko_key_invalid: 'The identifier of the API key is made of lowercase letters, digits and _, as Paheko shows it (Configuration › Advanced features › API).',
		sync_interval_invalid: 'The interval must be between 10 seconds and one day.',
		paheko_category_invalid: 'This category does not exist in Paheko, or it gives administrator rights (Paheko does not let AssoKit create such members). Choose a category without administrator rights.',
		paheko_categories_missing: 'Paheko is missing categories for the roles, or their rights are not the expected ones: see the list below.',
		paheko_field_missing: 'Paheko has no “nextcloud_uid” field: members are synchronised, but sign-on stays off until the field exists (see the list below).',
		paheko_proposal_gone: 'This proposal no longer applies (the account or the record changed). Look at the preview again.',
		bad_request: 'Something in the form is not right. Check it and try again.',
		paheko_not_configured: 'Enter the address of Paheko and its API key first.',
		paheko_no_admin: 'The administrator who saved these settings is no longer an administrator. Save the settings again.',
		paheko_unreachable: 'Paheko does not answer. Check its address; AssoKit will try again by itself.',
		paheko_refused: 'Paheko refuses this API key. Check the identifier and the password of the key.',
		paheko_key_read_only: 'This API key may only read. Create a key with the “write” level in Paheko.',
		paheko_not_paheko: 'The address does not lead to a Paheko. Check it.',
		paheko_moved: 'Paheko answers from another address (for example https:// instead of http://). Open your Paheko in your browser, copy the address it shows and save it here.',
		refused: 'Paheko refused this change.',
		not_found: 'This could not be found. Reload the page.',
		transfer_same_account: 'The member who leaves and the member who takes over must be two different accounts.',
		transfer_unknown_account: 'One of these accounts does not exist any more. Reload the page.',
		transfer_target_disabled: 'The member who takes over has a disabled account. Enable it first, or choose someone else.',
		transfer_nothing: 'Choose at least one thing to move.',
		transfer_not_in_inventory: 'Something chosen is no longer in this account. Look at what will move again.',
		transfer_busy: 'The member who leaves is already leaving in another transfer, or one of the two accounts takes over or leaves in a transfer under way. Wait until it ends.',
		transfer_source_disabled: 'The account of the member who leaves is disabled: enable it during the transfer to move the files, boards and conversations, or untick them.',
		transfer_mismatch: 'The copy did not match the original, so the original was kept. Try again later.',
		transfer_files_failed: 'Nextcloud could not move the files (it does not say why). The files were kept.',
		transfer_files_no_space: 'Nextcloud could not move the files, probably for lack of space for the member who takes over (Nextcloud does not say why). The files were kept.',
		transfer_files_timeout: 'Nextcloud\'s background jobs did not move the files in time: the request was withdrawn and the files were kept. Ask whoever hosts your Nextcloud to check its cron.',
		transfer_files_no_request: 'Nextcloud did not create the files transfer request. Try again later.',
		transfer_skipped: 'Not done, because something else could not move: the account stays as it is.',
		transfer_same_uid: 'The member who takes over already has one of these items. The original was kept.',
		transfer_quota: 'Not enough space for the member who takes over. The original was kept.',
		transfer_forbidden: 'Nextcloud refused this move. The original was kept.',
		transfer_not_found: 'This item disappeared during the transfer.',
		transfer_error: 'This item could not move; the original was kept.',
		transfer_board_not_owned: 'This board no longer belongs to the member who leaves (someone gave it to another person meanwhile): nothing was changed.',
		transfer_no_moderator: 'The member who takes over could not be made moderator of this conversation, so the member who leaves stayed in it.',
		transfer_deck_disabled: 'Deck was disabled on this Nextcloud during the transfer: AssoKit could not finish with the boards. Enable Deck again, then start a new transfer for what is left.',
		transfer_talk_disabled: 'Talk was disabled on this Nextcloud during the transfer: AssoKit could not finish with the conversations. Enable Talk again, then start a new transfer for what is left.',
		tour_unknown: 'This tour does not exist any more. Reload the page.',
		cross_site: 'AssoKit only accepts changes made from this Nextcloud\'s own pages. Reload the page and try again.',
		not_json: 'This change did not reach AssoKit in the expected form. Reload the page and try again.',
		job_panicked: 'AssoKit stopped this task on an unexpected error; trying again would not help. Details are in AssoKit\'s log: please pass them on to whoever maintains AssoKit.',
		paheko_host_secret_elsewhere: 'The API key\'s password is set by whoever hosts your Nextcloud: the address of Paheko can only lead to another server through them.',
		signon_secret_from_host: 'The sign-on secret is set by whoever hosts your Nextcloud and cannot be changed here.',
		host_setting_invalid: 'A Paheko setting given by whoever hosts your Nextcloud is not valid, so AssoKit does not use the settings they gave. Ask them to correct it.',
		host_oidc_client_invalid: 'The sign-on settings given by whoever hosts your Nextcloud are not valid, so AssoKit uses its own. Ask them to correct them.',
		tour_invalid: 'The association\'s tour needs a title and 1 to 8 steps, each with a title and a text; the page, if any, must be a page of this Nextcloud (starting with /).',
	}
	return t((vars.name && namedTexts[code]) || (texts[code] ?? somethingWrong), vars)
}

/**
 * A date and time as people read them in the page's language, e.g.
 * "30 nov. 2026 à 14:05".
 * @param {number|string|Date} when Unix seconds, an ISO text or a Date
 */
export function formatDate(when) {
	const d = typeof when === 'number' ? new Date(when * 1000) : new Date(when)
	return t('{date} at {time}', {
		date: new Intl.DateTimeFormat(language(), { dateStyle: 'medium' }).format(d),
		time: new Intl.DateTimeFormat(language(), { timeStyle: 'short' }).format(d),
	})
}
