/**
 * Every cap in ftpcap is a named, documented option. Reaching one is reported as a warning
 * (code `limit.<name>`) in the report, never a silent drop. Defaults are chosen so that real
 * captures never hit them and hostile ones stay bounded in memory (docs/robustness.md: a
 * 1,000,000-SYN flood peaks at ~410 MB RSS with the defaults).
 */
export interface Limits {
  /** Largest record a capture may declare (caplen / block length). Larger: the file is corrupt. */
  maxRecordBytes: number;
  /** IP fragments: datagrams being reassembled at once, and bytes buffered for them in total. */
  maxFragmentDatagrams: number;
  maxFragmentBytes: number;
  /** Nested VLAN tags and IPv6 extension headers followed before giving up on a packet. */
  maxVlanDepth: number;
  maxIpv6ExtHeaders: number;
  /**
   * TCP connections tracked at once. Past it a new connection evicts the least recently active
   * half-open one (only one side seen: a SYN flood's), else the least recently active established one.
   * Each costs ~2.2 KB live (tcp + correlator state of an unanswered SYN), and V8 lets the heap grow to
   * ~4x the live size between full collections while a flood churns through the table; 25,000 keeps
   * a 1,000,000-SYN flood at ~410 MB peak RSS (docs/robustness.md), 250x the ~100 connections the
   * benchmark's 2,000 FTP sessions and 2,000 bulk flows have open at once.
   */
  maxConnections: number;
  /** Out-of-order bytes buffered per connection direction, and in total across all connections. */
  maxBufferedBytesPerConnection: number;
  maxBufferedBytesTotal: number;
  /** A connection with no packet for this long (capture time) is closed as idle. */
  idleTimeoutSeconds: number;
  /** Longest FTP control line kept; the rest of the line is counted and dropped. */
  maxLineBytes: number;
  /** Lines of one multi-line reply kept (the rest counted) before the reply is closed as malformed. */
  maxReplyLines: number;
  /** Commands waiting for a reply on one control connection (pipelining). */
  maxPendingCommands: number;
  /** Announcements (PORT/PASV/...) kept per session; more are counted. */
  maxAnnouncementsPerSession: number;
  /** Timeline events kept per session; more are counted. */
  maxTimelineEvents: number;
  /** Unlinked TCP connections remembered for late correlation and data.unannounced. */
  maxUnlinkedConnections: number;
  /** Findings of one code kept; more are counted in one summary finding. */
  maxFindingsPerCode: number;
  /** Failed logins from one client within the window that make a brute-force finding. */
  bruteforceFailures: number;
  bruteforceWindowSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRecordBytes: 256 * 1024,
  maxFragmentDatagrams: 1024,
  maxFragmentBytes: 16 * 1024 * 1024,
  maxVlanDepth: 8,
  maxIpv6ExtHeaders: 16,
  maxConnections: 25_000,
  maxBufferedBytesPerConnection: 4 * 1024 * 1024,
  maxBufferedBytesTotal: 64 * 1024 * 1024,
  idleTimeoutSeconds: 3600,
  maxLineBytes: 8192,
  maxReplyLines: 1000,
  maxPendingCommands: 64,
  maxAnnouncementsPerSession: 10_000,
  maxTimelineEvents: 20_000,
  maxUnlinkedConnections: 10_000,
  maxFindingsPerCode: 1000,
  bruteforceFailures: 20,
  bruteforceWindowSeconds: 900,
});

/** Human descriptions, used by `--help` and docs/limits (kept next to the values so they cannot drift). */
export const LIMIT_DOCS: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxRecordBytes: "largest capture record accepted (caplen, pcapng block); larger means corrupt",
  maxFragmentDatagrams: "IP datagrams reassembled from fragments at once",
  maxFragmentBytes: "bytes buffered for IP fragment reassembly in total",
  maxVlanDepth: "802.1Q/802.1ad tags followed in one frame",
  maxIpv6ExtHeaders: "IPv6 extension headers followed in one packet",
  maxConnections: "TCP connections tracked at once (past it, half-open ones are evicted first)",
  maxBufferedBytesPerConnection: "out-of-order bytes buffered per connection direction",
  maxBufferedBytesTotal: "out-of-order bytes buffered across all connections",
  idleTimeoutSeconds: "capture-time seconds without a packet before a connection is closed as idle",
  maxLineBytes: "longest FTP control line kept",
  maxReplyLines: "lines kept in one multi-line FTP reply",
  maxPendingCommands: "FTP commands awaiting a reply on one control connection",
  maxAnnouncementsPerSession: "PORT/PASV/EPRT/EPSV/LPRT/LPSV announcements kept per session",
  maxTimelineEvents: "timeline events kept per session",
  maxUnlinkedConnections: "unlinked TCP connections remembered for late correlation",
  maxFindingsPerCode: "findings of one code kept (the rest are counted)",
  bruteforceFailures: "failed logins from one client within the window that raise login.bruteforce",
  bruteforceWindowSeconds: "window for login.bruteforce, in capture seconds",
});
