// Entry of AssoKit's top-menu pages: mounts the page of the menu entry
// ("assokit", "paheko", "tours" or "transfers") on Nextcloud's #content.
import { createApp } from 'vue'
import App from './App.vue'
import PahekoPage from './PahekoPage.vue'
import ToursPage from './ToursPage.vue'
import TransferPage from './TransferPage.vue'

function mount() {
	const el = document.getElementById('content')
	if (el) {
		const page = window.location.pathname.replace(/\/+$/, '').split('/').pop()
		const pages = { paheko: PahekoPage, tours: ToursPage, transfers: TransferPage }
		createApp(pages[page] ?? App).mount(el)
	}
}

if (document.readyState === 'loading') {
	document.addEventListener('DOMContentLoaded', mount)
} else {
	mount()
}
