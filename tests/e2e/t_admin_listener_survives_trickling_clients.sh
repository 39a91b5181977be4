#!/bin/bash
# The admin listener stays usable while clients hold connections open by
# trickling a request one byte every few seconds (an idle timeout never
# fires on them): each address may hold 8 connections at most, so eight
# attacking addresses with 16 connections each leave room for others, and
# no request may take more than 10 s to arrive, however it trickles. An
# admin on another address gets the panel and logs in meanwhile.
. "$(dirname "$0")/lib.sh"
ADMIN_LISTEN=10.201.0.1:8080
A=http://10.201.0.1:8080
setup_daemon
printf 'admin pw\n' | "$CLI" -d "$DB" admin add root >/dev/null

# eight more addresses for the attacker on the client's side of the LAN,
# removed again however the scenario ends
ATTACKERS="10.201.0.100 10.201.0.101 10.201.0.102 10.201.0.103 10.201.0.104 10.201.0.105 10.201.0.106 10.201.0.107"
del_attackers() { for a in $ATTACKERS; do ip -n "$NS_C" addr del "$a/24" dev "$E2E_NS-cg" 2>/dev/null; done; }
on_finish del_attackers
del_attackers
for a in $ATTACKERS; do ip -n "$NS_C" addr add "$a/24" dev "$E2E_NS-cg" || fail "address $a"; done
start_daemon || exit 1

rm -f "$DIR/opened"
in_client timeout 40 python3 - "$DIR" $ATTACKERS > "$DIR/attack.json" <<'PY' &
import json, socket, sys, time
d, addrs = sys.argv[1], sys.argv[2:]
PER_ADDR, RUN_S, TRICKLE_S = 16, 22, 4
head = b"GET / HTTP/1.1\r\nHost: 10.201.0.1\r\nX-Slow: " + b"a" * 200
conns = []   # [address, socket, opened, closed, bytes sent]
for a in addrs:
    for _ in range(PER_ADDR):
        s = socket.socket()
        s.bind((a, 0))
        s.settimeout(3)
        try:
            s.connect(("10.201.0.1", 8080))
            s.send(head[:1])
            s.setblocking(False)
            conns.append([a, s, time.time(), None, 1])
        except OSError:
            conns.append([a, s, time.time(), time.time(), 0])
open(d + "/opened", "w").close()
start, last_send = time.time(), time.time()
while time.time() - start < RUN_S and any(c[3] is None for c in conns):
    time.sleep(0.5)
    now = time.time()
    send = now - last_send >= TRICKLE_S
    if send:
        last_send = now
    for c in conns:
        if c[3] is not None:
            continue
        try:
            if c[1].recv(1) == b"":
                c[3] = now
                continue
        except BlockingIOError:
            pass
        except OSError:
            c[3] = now
            continue
        if send:
            try:
                c[1].send(head[c[4]:c[4] + 1])
                c[4] += 1
            except OSError:
                c[3] = now
# held: still open five seconds after it was opened. A refused connection
# is closed by the listener as soon as it is accepted (on a loaded machine
# that can take a second or two: 2 s counted one as held), a held one
# lives until the 10 s request deadline.
held = [c for c in conns if c[3] is None or c[3] - c[2] > 5]
per_addr = {}
for c in held:
    per_addr[c[0]] = per_addr.get(c[0], 0) + 1
print(json.dumps({
    "held": len(held),
    "most_per_address": max(per_addr.values()) if per_addr else 0,
    "longest_s": round(max([(c[3] or time.time()) - c[2] for c in held] or [0]), 1),
    "still_open": sum(1 for c in conns if c[3] is None),
}))
PY
ATTACK=$!
wait_files "$DIR/opened" || fail "the attacker opened its connections"

# meanwhile, an admin on another address (the gateway's own)
# the listener has taken the attack's connections in: none waits in its
# accept queue (Recv-Q of a listening socket)
accept_queue_empty() { [ "$(in_gw ss -Hltn src 10.201.0.1:8080 | awk '{ print $2 }')" = 0 ]; }
wait_until 10 accept_queue_empty
start=$(date +%s%N)
st=$(in_gw timeout 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$A/")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 200 "$st" "the panel answers an admin during the attack"
[ "$ms" -lt 3000 ] && ok || fail "the panel took ${ms} ms during the attack"
me=$(in_gw timeout 10 curl -s --max-time 5 -c "$DIR/jar" -H 'Content-Type: application/json' \
	-d '{"username":"root","password":"admin pw"}' "$A/api/login")
assert_contains "$me" '"admin":"root"' "the admin logs in during the attack"

wait "$ATTACK"
res=$(cat "$DIR/attack.json")
echo "  attack: $res"
field() { printf '%s' "$res" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
[ "$(field most_per_address)" -le 8 ] && ok || fail "one address held more than 8 connections: $res"
[ "$(field held)" -ge 8 ] && ok || fail "the attack held connections at all (else it proves nothing): $res"
python3 -c "import sys; sys.exit(0 if $(field longest_s) <= 13 else 1)" && ok ||
	fail "a trickling connection outlived the 10 s request deadline: $res"
assert_eq 0 "$(field still_open)" "no trickling connection is left open"
assert_contains "$(cat "$DLOG")" "sent no complete request within 10 s" "the cut is logged"
assert_contains "$(cat "$DLOG")" "already holds 8 connections" "the refusal is logged"
