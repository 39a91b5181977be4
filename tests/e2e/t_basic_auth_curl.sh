#!/bin/bash
# Basic with curl: the right body; wrong password refused; a password with
# ':', '@' and spaces works (Basic splits at the first colon).
. "$(dirname "$0")/lib.sh"
setup_daemon; add_user alice 'secret'; add_user 'bob' 'p:a@s s w:rd'; start_daemon || exit 1

pcurl -U alice:secret -o "$DIR/body" http://$ORIGIN/1k
assert_eq "" "$(cmp "$DIR/body" "$E2E_WWW/1k" 2>&1)" "body through the proxy"
assert_eq 200 "$(status_of -U alice:secret http://$ORIGIN/1k)" "Basic GET"
assert_eq 407 "$(status_of -U alice:wrong http://$ORIGIN/1k)" "wrong password"
assert_eq 200 "$(status_of -U 'bob:p:a@s s w:rd' http://$ORIGIN/1k)" "password with : @ and spaces"
assert_eq 200 "$(status_of -U alice:secret -I http://$ORIGIN/1k)" "HEAD"
assert_eq 200 "$(in_client timeout 20 curl -s -o /dev/null -w '%{http_code}' --max-time 15 -x 'http://[fd00:201::1]:3128' -U alice:secret 'http://[fd00:202::2]/1k')" "IPv6 client to an IPv6 origin"
line=$(grep 'TCP_MISS/200' "$ACCESS" | head -1)
assert_contains "$line" " 10.201.0.2 TCP_MISS/200 " "access log client and tag"
assert_contains "$line" " GET http://$ORIGIN/1k alice HIER_DIRECT/$ORIGIN " "access log method URL user peer"

# on one kept-alive connection: a wrong password (checked off the loop) gets
# its 407, and the next request with the right one is served
out=$(in_client timeout 10 python3 -c '
import base64, socket
s = socket.create_connection(("10.201.0.1", 3128), timeout=8)
f = s.makefile("rb")
def ask(cred):
    s.sendall(("GET http://10.202.0.2/1k HTTP/1.1\r\nHost: 10.202.0.2\r\nProxy-Authorization: Basic %s\r\n\r\n"
               % base64.b64encode(cred).decode()).encode())
    status = f.readline().decode().strip()
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""): break
        if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
    f.read(length)
    return status
print(ask(b"alice:not-it"), "|", ask(b"alice:secret"))
')
assert_eq "HTTP/1.1 407 Proxy Authentication Required | HTTP/1.1 200 OK" "$out" "407 then 200 on one connection"
