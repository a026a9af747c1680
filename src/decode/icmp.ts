/**
 * What an ICMP/ICMPv6 error means for a TCP connection attempt. FTP data connections that fail are
 * often answered this way (a firewall's admin-prohibited, a closed port's port-unreachable).
 *
 * | ICMPv4 (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1) | meaning            |
 * |---------------------------------------------------------|--------------------|
 * | type 3 code 0 net unreachable, 6 net unknown, 11 net for TOS     | net-unreachable    |
 * | type 3 code 1 host unreachable, 7 host unknown, 12 host for TOS  | host-unreachable   |
 * | type 3 code 3 port unreachable                           | port-unreachable   |
 * | type 3 code 9/10 net/host administratively prohibited, 13 communication administratively prohibited | admin-prohibited |
 * | type 3 other codes (2 protocol, 4 fragmentation needed, 5 source route failed, 8, 14, 15) | other-unreachable |
 * | type 11 time exceeded                                   | time-exceeded      |
 *
 * | ICMPv6 (RFC 4443 §3.1, §3.3)                              | meaning            |
 * |---------------------------------------------------------|--------------------|
 * | type 1 code 0 no route to destination                    | net-unreachable    |
 * | type 1 code 1 administratively prohibited; 5 source address failed ingress/egress policy, 6 reject route (RFC 4443: "more informative subsets of code 1") | admin-prohibited |
 * | type 1 code 3 address unreachable                        | host-unreachable   |
 * | type 1 code 4 port unreachable                           | port-unreachable   |
 * | type 1 other codes (2 beyond scope of source address, 7 error in source routing header) | other-unreachable |
 * | type 3 time exceeded                                     | time-exceeded      |
 */
import type { IcmpTcpError } from "./types.js";

export type IcmpMeaning = IcmpTcpError["meaning"];

export function icmp4Meaning(type: number, code: number): IcmpMeaning {
  if (type === 11) return "time-exceeded";
  if (type !== 3) return "other";
  switch (code) {
    case 0:
    case 6:
    case 11:
      return "net-unreachable";
    case 1:
    case 7:
    case 12:
      return "host-unreachable";
    case 3:
      return "port-unreachable";
    case 9:
    case 10:
    case 13:
      return "admin-prohibited";
    default:
      return "other-unreachable";
  }
}

export function icmp6Meaning(type: number, code: number): IcmpMeaning {
  if (type === 3) return "time-exceeded";
  if (type !== 1) return "other";
  switch (code) {
    case 0:
      return "net-unreachable";
    case 1:
    case 5:
    case 6:
      return "admin-prohibited";
    case 3:
      return "host-unreachable";
    case 4:
      return "port-unreachable";
    default:
      return "other-unreachable";
  }
}
