// Entry of AssoKit's top-menu page: mounts the Vue app on Nextcloud's #content.
import { createApp } from 'vue'
import App from './App.vue'

function mount() {
	const el = document.getElementById('content')
	if (el) {
		createApp(App).mount(el)
	}
}

if (document.readyState === 'loading') {
	document.addEventListener('DOMContentLoaded', mount)
} else {
	mount()
}
