/**
 * The catalogue of findings: policy, kept apart from the analyzer that emits the facts (Zeek's split
 * between FTP.cc and policy/protocols/ftp/*.zeek; Wireshark's expert-info tables).
 *
 * One row per code. A code never changes meaning or name once released: CI users filter on them and
 * `--fail-on` compares severities. Add codes; do not rename or remove them. `docs/findings.md` is
 * generated from this table (scripts/gen-findings-doc.ts) and a test fails when it is out of date.
 *
 * Severity is a property of the code, not of the instance: detectors decide whether a code applies
 * and write the message from the evidence; they never raise or lower the severity.
 */
import type { Severity } from "../report/schema.js";

export interface CatalogueEntry {
  readonly severity: Severity;
  /** One line, no trailing period. */
  readonly title: string;
  /** What the code means and why it matters, for docs and for a person reading a finding. */
  readonly explanation: string;
  /** What to try. Detectors may give a more specific remedy built from the evidence. */
  readonly remedy: string;
}

export const CATALOGUE = {
  "port.bounce": {
    severity: "high",
    title: "PORT/EPRT/LPRT names a host other than the control client (FTP bounce)",
    explanation:
      "An active-mode announcement tells the server to open the data connection to an address that is not the " +
      "control connection's client. RFC 2577 §3 calls this the bounce attack: the server becomes a proxy that " +
      "connects to a third host on the attacker's behalf (port scans, mail relaying, reaching hosts behind the " +
      "server's firewall). ftpcap separates it from NAT artefacts: it is a bounce when the data connection actually " +
      "went to the announced third host, when both addresses are public, when the announced host shares the " +
      "client's own subnet (no NAT sits between hosts of one LAN), or when it names the server or a loopback address.",
    remedy:
      "Configure the server to refuse PORT/EPRT addresses that differ from the control connection's client " +
      "(vsftpd: port_promiscuous=NO, the default; ProFTPD: AllowForeignAddress off, the default), and block " +
      "outbound connections from the server's data port to anything but FTP clients.",
  },
  "port.privileged-target": {
    severity: "high",
    title: "Active-mode data port below 1024 (a well-known service)",
    explanation:
      "PORT/EPRT/LPRT asks the server to connect to a privileged port such as 25 (smtp), 80 (http) or 445 (smb). " +
      "Real clients listen on ephemeral ports (1024-65535); a privileged target means the data connection is aimed " +
      "at a service, the classic use of a bounce (CERT CA-1997-27). When the address is the client itself it still " +
      "makes an FTP-aware NAT or firewall (ALG) open an inbound pinhole to that service (NAT slipstreaming).",
    remedy:
      "Refuse PORT/EPRT to ports below 1024 on the server (vsftpd refuses them by default), and keep FTP-aware " +
      "NATs and firewalls from opening pinholes to privileged ports.",
  },
  "port.zero-address": {
    severity: "medium",
    title: "Announced data address is 0.0.0.0 (or ::)",
    explanation:
      "A PORT/EPRT command or a 227/228/229 reply names the unspecified address. It is not a host anyone can connect " +
      "to: the peer must guess (many clients and servers fall back to the control connection's address). Firewalls " +
      "and ALGs that require the data address to equal the control address - the Cisco PIX/ASA `fixup`/`inspect ftp` " +
      "behaviour - reject or drop such a command or reply, so the transfer fails only when that device is in the " +
      "path. A server sends it when it is bound to all interfaces and not told its public address.",
    remedy:
      "Set the address the server announces (vsftpd pasv_address, ProFTPD MasqueradeAddress, FileZilla Server " +
      "'external IP', IIS 'FTP firewall support' external address), or make the client announce a real address; " +
      "use EPSV/EPRT, which carry no address, where the path allows.",
  },
  "port.nat-unrewritten": {
    severity: "medium",
    title: "PORT names a private address behind NAT (no FTP ALG rewrote it)",
    explanation:
      "The client announced its own inside address (RFC 1918, CGNAT 100.64/10, link-local or ULA) while the control " +
      "connection arrives from a different address: a NAT between the client and the capture point translated the " +
      "TCP/IP headers but no FTP ALG (NAT helper) rewrote the PORT text. The server then connects to an address that " +
      "is unreachable from its side, and active-mode transfers fail. A capture replayed with rewritten IPs " +
      "(tcpreplay --unique-ip) shows the same thing. This is a misconfiguration, not an attack: ftpcap says which " +
      "evidence told it apart from a bounce (where the data connection went, or the address classes).",
    remedy:
      "Use passive mode (PASV/EPSV) from behind NAT, or enable the FTP ALG / NAT helper on the client's NAT " +
      "(Linux: nf_conntrack_ftp + nf_nat_ftp with a CT helper rule; Cisco: inspect ftp), or configure the client to " +
      "announce the NAT's public address and forward its active port range.",
  },
  "port.external-address": {
    severity: "low",
    title: "PORT names a public address while the control client is private",
    explanation:
      "The control connection comes from a private address but PORT/EPRT names a public one. Usually the client was " +
      "told to announce its NAT's outside address (FileZilla/WinSCP 'external IP' settings) and the capture was taken " +
      "inside the NAT; then the NAT must forward the announced port back to the client. If the data connection went " +
      "to a third public host instead, ftpcap reports port.bounce.",
    remedy:
      "If this is the client's own NAT address, forward the client's active port range on the NAT or switch to " +
      "passive mode; if the address belongs to nobody on the client's side, treat it as a bounce attempt.",
  },
  "port.other-family": {
    severity: "low",
    title: "EPRT names an address of the other IP family than the control connection",
    explanation:
      "RFC 2428 lets EPRT name an IPv6 address on an IPv4 control connection (or the reverse). It is legal, but " +
      "ftpcap cannot tell whether the address belongs to the same host, and firewalls or ALGs tracking the control " +
      "connection will not open a pinhole in the other family.",
    remedy:
      "Prefer EPSV (passive, same family as the control connection); if EPRT must cross families, allow the data " +
      "connection explicitly and confirm the address is the client's own.",
  },
  "pasv.address-mismatch": {
    severity: "medium",
    title: "Passive reply names an address other than the server's control address",
    explanation:
      "The 227 (PASV) or 228 (LPSV) reply tells the client to connect to an address that differs from the one the " +
      "control connection reached. Usually the server sits behind NAT and announces its inside address, or is " +
      "configured with a public pasv_address while clients reach it by a private one (VPN, same site). Clients that " +
      "trust the reply connect to the wrong host; clients that ignore or repair it (curl by default since 7.74; " +
      "FileZilla and lftp when the reply names a private address) use the control address and hide the problem. " +
      "The finding says where the client connected.",
    remedy:
      "Make the server announce the address its clients use (vsftpd pasv_address, ProFTPD MasqueradeAddress, " +
      "Pure-FTPd -P/ForcePassiveIP, FileZilla Server external IP), enable an FTP ALG that rewrites 227 replies, or " +
      "use EPSV, which carries no address.",
  },
  "pasv.privileged-port": {
    severity: "medium",
    title: "Passive reply names a port below 1024",
    explanation:
      "The server told the client to connect to a privileged port, where a well-known service listens rather than an " +
      "FTP passive listener. Either the passive port range is misconfigured or the server (or something rewriting " +
      "its replies) steers clients, and FTP-aware firewalls that open pinholes for the announced port, at a service.",
    remedy:
      "Set the server's passive port range to unprivileged ports (vsftpd pasv_min_port/pasv_max_port, ProFTPD " +
      "PassivePorts) and do not let an ALG open pinholes below 1024.",
  },
  "announce.refused": {
    severity: "medium",
    title: "Server refused a PORT/EPRT/PASV/EPSV announcement",
    explanation:
      "The server answered a data-channel announcement with a 4xx/5xx reply (\"500 Illegal PORT command.\", \"502 " +
      "Command not implemented\", \"425 Can't open passive connection\"), so no data connection was set up for it " +
      "and the transfer the client meant to run after it failed or never started. The finding says which transfer " +
      "commands it blocked. Likely causes: the server checks that the PORT address is the control connection's client " +
      "(vsftpd port_promiscuous=NO, ProFTPD AllowForeignAddress off, both defaults) and a NAT without an FTP ALG " +
      "translated the client's address but not the PORT text (from the client side the PORT looks right); active or " +
      "passive mode is disabled on the server (vsftpd port_enable/pasv_enable=NO); the server does not implement the " +
      "extended commands; or the server ran out of passive ports. Not raised when the client fell back to another " +
      "announcement the server accepted (clients try EPSV before PASV), and not raised beside an address finding for " +
      "the same announcement (port.bounce, port.privileged-target, port.nat-unrewritten, port.external-address, " +
      "port.other-family, port.zero-address), which already says that the server refused it: a refused bounce stays " +
      "a bounce finding.",
    remedy:
      "Active mode refused: use passive mode (PASV/EPSV), or, behind a NAT, enable the FTP ALG / NAT helper so the PORT " +
      "carries the address the server sees; check that active mode is enabled on the server. Passive mode refused: " +
      "check the server's passive settings (enabled, port range not exhausted) or use active mode. The server's log " +
      "says why it refused.",
  },
  "data.no-connection": {
    severity: "medium",
    title: "Announced data connection never attempted",
    explanation:
      "An announcement and a transfer command were seen, but no SYN toward the announced endpoint (nor any inferred " +
      "substitute) appears in the capture, and the server did not report success. The side that should have " +
      "connected never tried, or its SYN was dropped before the capture point. When the capture is incomplete or " +
      "taken on one side only, absence of a SYN is weak evidence.",
    remedy:
      "Capture on the side that should connect (active mode: the server; passive: the client) to see whether a SYN " +
      "leaves it; check its outbound firewall, and whether the announced address is reachable from it.",
  },
  "data.syn-unanswered": {
    severity: "high",
    title: "Data connection SYNs got no answer",
    explanation:
      "The side that should open the data connection sent SYNs to the announced endpoint and nothing came back: no " +
      "SYN-ACK, RST or ICMP. A firewall or NAT silently drops them. In active mode the client's side drops inbound " +
      "connections from the server (host firewall, NAT without an FTP ALG); in passive mode the server's side drops " +
      "its passive port range (a firewall that opened only port 21, a NAT with no forward for the passive ports).",
    remedy:
      "Active mode: allow inbound connections from the server's port 20 on the client side, enable the FTP ALG / NAT " +
      "helper, or switch to passive mode. Passive mode: open the server's passive port range on every firewall and " +
      "NAT in front of it (and fix the announced address), or switch to active mode.",
  },
  "data.rejected": {
    severity: "high",
    title: "Data connection refused (RST or ICMP unreachable)",
    explanation:
      "The SYN toward the announced endpoint was answered by a TCP RST or an ICMP destination-unreachable quoting it. " +
      "Nothing listened on the announced port at the host that answered: the announcement named the wrong host or " +
      "port (NAT, wrong pasv_address), the listener had already given up, or a firewall rejects instead of dropping.",
    remedy:
      "Check who answered (the finding names it): a RST from the announced host means no listener on that port; an " +
      "ICMP from a router or firewall means a filter rejected it - open the passive port range (passive) or allow " +
      "inbound from port 20 (active), and make sure the announced address is the right host.",
  },
  "data.not-captured": {
    severity: "info",
    title: "Transfer reported by the server, data connection not in the capture",
    explanation:
      "The server answered the transfer command with success (226/250, or 125), so the data connection existed, but " +
      "the capture does not contain it: a capture filter kept only port 21, the data went over another interface or " +
      "path, or the capture started or stopped around it. Byte counts and data-connection findings are unavailable.",
    remedy:
      "Capture without a port filter (or with `port 21 or portrange 1024-65535 or port 20`) on an interface the data " +
      "connections cross.",
  },
  "data.unannounced": {
    severity: "low",
    title: "Data-like connection that no announcement explains",
    explanation:
      "A TCP connection between the session's two hosts, inside its lifetime, was not named by any PORT/PASV/EPRT/" +
      "EPSV/LPRT/LPSV reply seen. Benign causes: the capture started after the announcement, an announcement limit " +
      "was reached, or another application talks between the same hosts. Otherwise it is traffic the FTP session " +
      "does not account for.",
    remedy:
      "Look at the connection's ports and payload; capture from before the session starts if announcements were " +
      "missed.",
  },
  "data.source-port": {
    severity: "info",
    title: "Active-mode data connection not from port 20",
    explanation:
      "RFC 959 §3.2 has the server connect from L-1 (port 20). Many servers use an ephemeral port instead " +
      "(vsftpd connect_from_port_20=NO, servers not running as root). It is legal, but client-side firewall rules " +
      "written as 'allow inbound from port 20' block it.",
    remedy:
      "Allow inbound active-mode data by connection tracking (an FTP helper) rather than by source port 20, or make " +
      "the server connect from port 20 (vsftpd connect_from_port_20=YES).",
  },
  "transfer.failed": {
    severity: "medium",
    title: "Transfer command answered with a failure reply",
    explanation:
      "RETR/STOR/STOU/APPE/LIST/NLST/MLSD was answered 4xx/5xx: 425 (cannot open data connection) and 426 " +
      "(connection closed, transfer aborted) are network failures; 450/550/553 and friends are the server refusing " +
      "the file (missing, permissions, name); 451/452/552 are server-side errors or full disks.",
    remedy:
      "For 425/426 follow the data-connection findings and the transfer's verdict; for 5xx file replies check the " +
      "path, permissions and quota on the server.",
  },
  "transfer.incomplete": {
    severity: "medium",
    title: "Fewer bytes than announced, or a gap in the data stream",
    explanation:
      "The data connection carried fewer bytes than the server announced (`150 ... (N bytes)` or a SIZE reply), or the " +
      "capture is missing segments of it. If the server still replied 226, the transfer probably completed on the " +
      "wire and the capture point lost packets; if not, the transfer was cut short.",
    remedy:
      "If the capture lost packets, capture with a larger buffer or closer to an endpoint; if the transfer was cut " +
      "short, look at the connection's close (RST, idle timeout) and retry with REST (resume).",
  },
  "transfer.ascii-binary": {
    severity: "low",
    title: "ASCII-mode (TYPE A) transfer of binary data",
    explanation:
      "The transfer ran under TYPE A while its first 4 KiB look binary (NUL bytes, or more than 30% bytes outside " +
      "printable text and whitespace). ASCII mode rewrites line endings, which corrupts archives, images and " +
      "executables.",
    remedy: "Send TYPE I before transferring binary files (most clients: `binary` or 'transfer type: binary').",
  },
  "login.failed": {
    severity: "low",
    title: "Login refused (530)",
    explanation:
      "The server answered USER or PASS with 530 (or another 5xx to PASS): wrong user name or password, an " +
      "anonymous-only server, or an account not allowed to use FTP.",
    remedy: "Check the user name, password and the server's user lists (vsftpd userlist, /etc/ftpusers).",
  },
  "login.bruteforce": {
    severity: "high",
    title: "Many failed logins from one client (password guessing)",
    explanation:
      "One client address failed to log in at least the configured number of times (limit bruteforceFailures) within " +
      "the window (limit bruteforceWindowSeconds), across all its sessions: password guessing, or a misconfigured " +
      "script retrying with a wrong password.",
    remedy:
      "Block or rate-limit the client (fail2ban on the server's log), require TLS and strong passwords, or disable " +
      "password logins for the accounts being tried.",
  },
  "credentials.cleartext": {
    severity: "low",
    title: "User name and password sent in cleartext",
    explanation:
      "A non-anonymous USER/PASS pair crossed the network without TLS: anyone on the path can read the password " +
      "(this capture contains it; ftpcap never prints it unless --show-credentials).",
    remedy:
      "Use explicit FTPS (AUTH TLS, and require it: vsftpd force_local_logins_ssl=YES) or SFTP, and change the " +
      "password that was exposed.",
  },
  "control.tls": {
    severity: "info",
    title: "Control channel encrypted (AUTH TLS or GSSAPI): later commands not analysed",
    explanation:
      "The client sent AUTH TLS/SSL and the server accepted, or an RFC 2228 mechanism such as AUTH GSSAPI (GridFTP) " +
      "completed its ADAT exchange (235) and the client then sent its commands as ENC/MIC/CONF tokens. From that frame " +
      "on the control channel is protected: commands, replies, logins and PORT/PASV announcements after it cannot be " +
      "read, so data connections can only be linked by host pair and timing (they were probably announced inside the " +
      "protected channel), and transfers, verdicts and address checks are unavailable.",
    remedy:
      "Nothing is wrong. To analyse an FTPS session, capture with the TLS keys (SSLKEYLOGFILE) and decrypt first, or " +
      "analyse a test session without TLS.",
  },
  "control.malformed": {
    severity: "low",
    title: "Malformed FTP control traffic",
    explanation:
      "The control channel carried lines that are not valid FTP: replies without a 3-digit code, verbs that are not " +
      "FTP commands, lines over the length limit, multi-line replies that never end, announcements with octets over " +
      "255 or ports over 65535. A broken client or server, a non-FTP protocol on the port, or a parser-evasion " +
      "attempt. (Bare LF line endings and Telnet IAC sequences are tolerated and not reported.)",
    remedy:
      "Identify the software from the banner and the offending lines; if the peer is not FTP, exclude the port; if " +
      "it is, report the malformed output to its vendor.",
  },
  "control.unanswered-command": {
    severity: "low",
    title: "Server never answered an announcement command",
    explanation:
      "A PORT/EPRT/LPRT/PASV/EPSV/LPSV command got no reply while the control connection went on, or the client " +
      "piled up more unanswered commands than the parser keeps. A middlebox that drops commands it dislikes (PIX " +
      "'fixup protocol ftp strict', an IPS blocking a bounce) or a client flooding the server looks like this.",
    remedy:
      "Check for an FTP-inspecting firewall or IPS between client and server (its logs name the dropped command), " +
      "and whether the client sends commands without waiting for replies.",
  },
  "capture.gap": {
    severity: "info",
    title: "Segments missing from the capture",
    explanation:
      "TCP sequence numbers show bytes the capture never saw (the capture point dropped packets, or the capture " +
      "file is cut short). Missing SYN-ACKs, replies or data may be the capture's loss rather than the network's: " +
      "absence of evidence is weak wherever this finding appears.",
    remedy:
      "Capture with a larger buffer (tcpdump -B), a snap length that keeps whole packets, on a host or TAP rather " +
      "than an overloaded SPAN port, and write to a fast disk.",
  },
  "limit.reached": {
    severity: "info",
    title: "An analysis limit was reached: results are partial",
    explanation:
      "A named limit (announcements per session, timeline events, unlinked connections, tracked connections, " +
      "buffered bytes ...) was reached, so some facts were counted but not analysed. Findings that rely on absence " +
      "(no SYN, no reply) are weaker for the affected sessions.",
    remedy: "Re-run with the named limit raised (`--limit name=value`; `ftpcap --help-limits` lists them), or split the capture.",
  },
} as const satisfies Record<string, CatalogueEntry>;

export type FindingCode = keyof typeof CATALOGUE;

export const FINDING_CODES: readonly FindingCode[] = Object.keys(CATALOGUE) as FindingCode[];

export function isFindingCode(code: string): code is FindingCode {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, code);
}
