/**
 * Well-known TCP services below 1024 that an FTP bounce (or a passive reply) can aim a data
 * connection at. The names are IANA's service names (RFC 6335 registry); the classic bounce abuse
 * (CERT CA-1997-27) sends mail through 25 and scans anything below 1024.
 */
export const WELL_KNOWN_PORTS: Readonly<Record<number, string>> = Object.freeze({
  7: "echo",
  9: "discard",
  13: "daytime",
  19: "chargen",
  20: "ftp-data",
  21: "ftp",
  22: "ssh",
  23: "telnet",
  25: "smtp",
  37: "time",
  42: "nameserver",
  43: "whois",
  49: "tacacs",
  53: "dns",
  69: "tftp",
  70: "gopher",
  79: "finger",
  80: "http",
  88: "kerberos",
  102: "iso-tsap",
  110: "pop3",
  111: "rpcbind",
  113: "ident",
  119: "nntp",
  123: "ntp",
  135: "msrpc",
  137: "netbios-ns",
  138: "netbios-dgm",
  139: "netbios",
  143: "imap",
  161: "snmp",
  179: "bgp",
  389: "ldap",
  427: "svrloc",
  443: "https",
  445: "smb",
  465: "smtps",
  500: "isakmp",
  502: "modbus",
  512: "rexec",
  513: "rlogin",
  514: "rsh",
  515: "printer (lpd)",
  543: "klogin",
  544: "kshell",
  548: "afp",
  554: "rtsp",
  587: "submission (smtp)",
  631: "ipp",
  636: "ldaps",
  873: "rsync",
  902: "vmware-auth",
  993: "imaps",
  995: "pop3s",
});

/** "port 25 (smtp)", "port 1000 (privileged, no well-known service)". */
export function describePort(port: number): string {
  const name = WELL_KNOWN_PORTS[port];
  if (name) return `port ${port} (${name})`;
  if (port === 0) return "port 0 (not a valid TCP destination)";
  if (port < 1024) return `port ${port} (privileged, no well-known service)`;
  return `port ${port}`;
}
