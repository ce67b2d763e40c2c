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
