// Node's fetch through an authenticating proxy, as a Node program does it:
// undici's ProxyAgent (from npm, pinned in package-lock.json). It tunnels
// every request through CONNECT, http:// URLs included (CONNECT host:80).
// Prints "STATUS BYTES" or "ERROR message".
//   PROXY_URL=http://10.201.0.1:3128 PROXY_USER=.. PROXY_PASSWORD=.. node undici_fetch.js URL
'use strict';
const { ProxyAgent, fetch } = require('undici');

const opts = { uri: process.env.PROXY_URL, requestTls: { rejectUnauthorized: false } };
if (process.env.PROXY_USER)
	opts.token = 'Basic ' + Buffer.from(process.env.PROXY_USER + ':' + process.env.PROXY_PASSWORD)
		.toString('base64');
const agent = new ProxyAgent(opts);
fetch(process.argv[2], { dispatcher: agent, signal: AbortSignal.timeout(15000) })
	.then(async (r) => {
		const body = Buffer.from(await r.arrayBuffer());
		console.log(r.status + ' ' + body.length);
	})
	.catch((e) => {
		const chain = [];
		for (let x = e; x; x = x.cause) chain.push(x.message);
		console.log('ERROR ' + chain.join(': '));
	})
	.finally(() => agent.close());
