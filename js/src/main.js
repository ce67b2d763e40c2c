// Entry of AssoKit's top-menu pages ("assokit", "paheko", "tours",
// "transfers"). Each page sits in @nextcloud/vue's app layout (PageFrame:
// Nextcloud's panel and scrolling) and is loaded only when it opens. It is
// mounted in a new element inside Nextcloud's #content, so that what
// Nextcloud put there (its hidden page heading, AppAPI's own element) stays.
import { createApp, defineAsyncComponent } from 'vue'
import PageFrame from './PageFrame.vue'

const pages = {
	assokit: () => import('./App.vue'),
	paheko: () => import('./PahekoPage.vue'),
	tours: () => import('./ToursPage.vue'),
	transfers: () => import('./TransferPage.vue'),
}

function mount() {
	// Nextcloud's #content is the first of the two elements with that id.
	const content = document.getElementById('content')
	if (!content) {
		return
	}
	const name = window.location.pathname.replace(/\/+$/, '').split('/').pop()
	const root = document.createElement('div')
	root.className = 'assokit-root'
	content.append(root)
	createApp(PageFrame, { page: defineAsyncComponent(pages[name] ?? pages.assokit) }).mount(root)
}

if (document.readyState === 'loading') {
	document.addEventListener('DOMContentLoaded', mount)
} else {
	mount()
}
