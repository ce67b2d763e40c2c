import { loadState } from '@nextcloud/initial-state'

/**
 * The ids of the apps in this member's navigation (Nextcloud's "core/apps"
 * initial state, present on every page it renders for a signed-in user),
 * or null when the page does not say.
 * @return {Set<string>|null}
 */
export function installedApps() {
	const apps = loadState('core', 'apps', null)
	if (!apps) {
		return null
	}
	const list = Array.isArray(apps) ? apps : Object.values(apps)
	return new Set(list.flatMap((a) => [a.id, a.app]).filter(Boolean))
}

/**
 * The name this member's navigation gives the Nextcloud page at path (the
 * entry whose address starts it), or null when none does.
 * @param {string} path a page's path, e.g. /index.php/apps/contacts/
 * @return {string|null}
 */
export function pageName(path) {
	const apps = loadState('core', 'apps', null)
	const list = apps ? (Array.isArray(apps) ? apps : Object.values(apps)) : []
	const clean = (h) => new URL(h, window.location.origin).pathname.replace(/^\/index\.php/, '')
	let best = null
	for (const a of list) {
		const href = a.href && clean(a.href)
		if (href && href !== '/' && clean(path).startsWith(href) && (!best || href.length > best.href.length)) {
			best = { href, name: a.name }
		}
	}
	return best?.name ?? null
}
