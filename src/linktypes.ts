/** Names of the LINKTYPE_* values (tcpdump.org/linktypes.html) ftpcap reports. */
const NAMES: Readonly<Record<number, string>> = {
  0: "NULL (BSD loopback)",
  1: "ETHERNET",
  12: "RAW (DLT 12)",
  14: "RAW (DLT 14)",
  101: "RAW",
  108: "LOOP (OpenBSD)",
  113: "LINUX_SLL",
  228: "IPV4",
  229: "IPV6",
  276: "LINUX_SLL2",
};

export function linkTypeName(t: number): string {
  return NAMES[t] ?? `unknown (${t})`;
}
