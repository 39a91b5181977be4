// Evaluate a proxy auto-config file as a browser does: the PAC on stdin,
// one host per argument; prints "host RESULT" per line. The helper
// functions are those of the PAC format that Portcullis's file uses,
// without DNS (the file tests address literals only).
'use strict';
const src = require('fs').readFileSync(0, 'utf8');
const ip = (a) => a.split('.').reduce((x, y) => x * 256 + Number(y), 0) >>> 0;
const sandbox = {
	isPlainHostName: (h) => h.indexOf('.') < 0,
	dnsDomainIs: (h, d) => h.length >= d.length && h.endsWith(d),
	isInNet: (h, net, mask) => ((ip(h) & ip(mask)) >>> 0) === ((ip(net) & ip(mask)) >>> 0),
};
const vm = require('vm');
vm.createContext(sandbox);
vm.runInContext(src, sandbox);
for (const host of process.argv.slice(2))
	console.log(host + ' ' + sandbox.FindProxyForURL('http://' + host + '/', host));
