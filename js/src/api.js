// Calls to AssoKit's API through Nextcloud's AppAPI proxy.
import { onMounted, ref } from 'vue'
import axios from '@nextcloud/axios'
import { generateUrl } from '@nextcloud/router'

const base = generateUrl('/apps/app_api/proxy/assokit/api')

/**
 * Sends a request to an API path; rejects with an Error whose code is a
 * stable code the page translates.
 * @param {string} method HTTP method
 * @param {string} path below /api
 * @param {object} body JSON body, if any
 */
export async function send(method, path, body) {
	try {
		// A change is always JSON (AssoKit refuses anything else), even without a body.
		const data = method === 'GET' ? undefined : (body ?? {})
		const { data: answer } = await axios.request({ method, url: base + path, data, headers: { Accept: 'application/json' } })
		return answer
	} catch (e) {
		const err = new Error('request failed')
		err.code = e.response?.data?.code ?? (e.response ? 'internal' : 'network')
		throw err
	}
}

/** GETs an API path (see send). */
export function get(path) {
	return send('GET', path)
}

/**
 * Loads a page's data with fetch when the page mounts, and again on load().
 * loading is true meanwhile; error holds the stable code of a failure.
 * @param {Function} fetch async function that fills the page's refs
 */
export function useLoad(fetch) {
	const loading = ref(true)
	const error = ref('')
	async function load() {
		loading.value = true
		error.value = ''
		try {
			await fetch()
		} catch (e) {
			error.value = e.code
		} finally {
			loading.value = false
		}
	}
	onMounted(load)
	return { loading, error, load }
}
