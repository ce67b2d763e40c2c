// Entry of AssoKit's top-menu pages: mounts the page of the menu entry
// ("assokit" or "paheko") on Nextcloud's #content.
import { createApp } from 'vue'
import App from './App.vue'
import PahekoPage from './PahekoPage.vue'

function mount() {
	const el = document.getElementById('content')
	if (el) {
		const page = window.location.pathname.replace(/\/+$/, '').split('/').pop()
		createApp(page === 'paheko' ? PahekoPage : App).mount(el)
	}
}

if (document.readyState === 'loading') {
	document.addEventListener('DOMContentLoaded', mount)
} else {
	mount()
}
