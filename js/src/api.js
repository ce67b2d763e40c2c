// Calls to AssoKit's API through Nextcloud's AppAPI proxy.
import axios from '@nextcloud/axios'
import { generateUrl } from '@nextcloud/router'

const base = generateUrl('/apps/app_api/proxy/assokit/api')

/** GETs an API path; rejects with an Error whose code is a stable code. */
export async function get(path) {
	try {
		const { data } = await axios.get(base + path, { headers: { Accept: 'application/json' } })
		return data
	} catch (e) {
		const err = new Error('request failed')
		err.code = e.response?.data?.code ?? (e.response ? 'internal' : 'network')
		throw err
	}
}
