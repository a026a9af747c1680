#!/usr/bin/env bash
# Makes icmp-reject.pcap: real ICMP and ICMPv6 errors answering TCP SYNs, the way a firewall refuses an
# FTP data connection. Run as root on Linux (needs ip, nft, tcpdump, python3). Everything happens on the
# loopback interface of a private network namespace named ftpcap-fmt; nothing touches the host's network.
#
#   127.0.0.1:2021 and [::1]:2021  -> reject with port-unreachable   (ICMP 3/3,  ICMPv6 1/4)
#   127.0.0.1:2022 and [::1]:2022  -> reject with admin-prohibited   (ICMP 3/13, ICMPv6 1/1)
#
# Frames (as tshark numbers them): each connection attempt is a SYN followed by the ICMP error quoting it.
# Linux gives up on an IPv4 SYN at the first error but retransmits an IPv6 SYN once (a second ICMPv6 error
# follows), so a run gives 12 frames: 1-4 IPv4 (errors in 2 and 4), 5-12 IPv6 (errors in 6, 8, 10, 12).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/icmp-reject.pcap"
ns=ftpcap-fmt

cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" nft -f - <<'NFT'
table inet ftpcap {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 2021 reject with icmpx type port-unreachable
    meta nfproto ipv4 tcp dport 2022 reject with icmp type admin-prohibited
    meta nfproto ipv6 tcp dport 2022 reject with icmpv6 type admin-prohibited
  }
}
NFT
ip netns exec "$ns" tcpdump -i lo -U -s 262144 -w "$out.tmp" 'tcp or icmp or icmp6' 2>/dev/null &
dump=$!
sleep 1
ip netns exec "$ns" python3 - <<'PY'
import socket
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for port in (2021, 2022):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((host, port))
        except OSError as e:
            print(f"{host} {port}: {e.strerror}")
        finally:
            s.close()
PY
sleep 1
kill "$dump"
wait "$dump" 2>/dev/null || true
mv "$out.tmp" "$out"
tshark -r "$out" -n 2>/dev/null || true
