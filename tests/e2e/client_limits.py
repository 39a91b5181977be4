"""What Python clients do with the gateway's 407, for the client notes of
the deployment guide. One case per argument; prints "case: result".
PROXY (http://host:port), URL_HTTP, URL_HTTPS, USER, PASSWORD from the
environment."""
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import requests
import urllib3

urllib3.disable_warnings()
PROXY = os.environ["PROXY"]
USER, PASSWORD = os.environ["USER_NAME"], os.environ["PASSWORD"]
URL_HTTP, URL_HTTPS = os.environ["URL_HTTP"], os.environ["URL_HTTPS"]


def urllib_with(handler_class):
    mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    mgr.add_password(None, PROXY, USER, PASSWORD)
    # the digest handler looks the password up by the URL asked for, not
    # by the proxy's (the basic handler by the proxy's)
    mgr.add_password(None, URL_HTTP, USER, PASSWORD)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": PROXY}),
                                         handler_class(mgr))
    try:
        with opener.open(URL_HTTP, timeout=10) as r:
            return "%d %d" % (r.status, len(r.read()))
    except urllib.error.HTTPError as e:
        return "HTTPError %d" % e.code
    except ValueError as e:
        return "ValueError %s" % e


def requests_proxy_auth(url):
    try:
        r = requests.get(url, proxies={"http": PROXY, "https": PROXY}, verify=False, timeout=10,
                         auth=requests.auth.HTTPProxyAuth(USER, PASSWORD))
        return "%d %d" % (r.status_code, len(r.content))
    except requests.exceptions.ProxyError as e:
        return "ProxyError %s" % ("407" if "407" in str(e) else str(e))


def requests_url_credentials(url):
    host = PROXY.split("://", 1)[1]
    quoted = urllib.parse.quote(USER, safe="") + ":" + urllib.parse.quote(PASSWORD, safe="")
    proxy = "http://%s@%s" % (quoted, host)
    r = requests.get(url, proxies={"http": proxy, "https": proxy}, verify=False, timeout=10)
    return "%d %d" % (r.status_code, len(r.content))


CASES = {
    "urllib-digest": lambda: urllib_with(urllib.request.ProxyDigestAuthHandler),
    "urllib-basic": lambda: urllib_with(urllib.request.ProxyBasicAuthHandler),
    "requests-proxyauth-http": lambda: requests_proxy_auth(URL_HTTP),
    "requests-proxyauth-https": lambda: requests_proxy_auth(URL_HTTPS),
    "requests-url-http": lambda: requests_url_credentials(URL_HTTP),
    "requests-url-https": lambda: requests_url_credentials(URL_HTTPS),
}
for name in sys.argv[1:]:
    print("%s: %s" % (name, CASES[name]()))
