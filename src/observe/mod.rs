//! `conduitc observe`: observed connections, read from firewall and sensor
//! logs, reconciled with the policy.
//!
//! Four kinds of log are read, one line at a time, so memory does not grow
//! with a log's length ([`LogFormat`]): the kernel log lines of conduitc's
//! own nftables rules, Zeek `conn.log` (TSV or JSON), Cisco IOS access-list
//! log messages and FortiOS traffic logs. The format is detected per file
//! from its first line that shows it.
//!
//! Each connection is judged by [`mod@crate::decide`] as the packet that
//! opened it, on [`ObserveOptions::today`], in the isolation mode given,
//! across the firewall that logged it when the line names a declared
//! firewall (FortiOS `devname`, a syslog host), else across the firewall
//! given, else across the whole policy. A connection a declared flow
//! allows counts for that flow; any other (denied, or admitted only by a
//! monitor-mode catch-all) is *undeclared*, grouped into a [`Candidate`]
//! by source, destination and service.

mod readers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::net::IpAddr;

use serde::Serialize;

use crate::decide::decide;
use crate::model::catalogue::CATALOGUE;
use crate::model::service::icmp_type_name;
use crate::model::{Date, Policy};
use crate::semantics::{BuildOptions, LowerError, Packet, Verdict};

use readers::Record;

/// The longest line read; a longer one is malformed.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// How many malformed lines a file's summary lists (all are counted).
pub const MALFORMED_LISTED: usize = 10;
/// Decisions remembered before the memo is emptied, which bounds memory.
const MEMO_ENTRIES: usize = 1 << 16;

/// A log format `observe` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LogFormat {
    /// Kernel log lines of conduitc's nftables rules (`conduit drop `,
    /// `conduit monitor C/* `, `conduit C/F `), as `dmesg`, `journalctl -k`
    /// or a syslog file shows them.
    Kernel,
    /// Zeek `conn.log`, tab-separated with `#fields` header.
    ZeekTsv,
    /// Zeek `conn.log`, one JSON object a line.
    ZeekJson,
    /// Cisco IOS `%SEC-6-IPACCESSLOG*` and `%IPV6_ACL-6-ACCESSLOG*` messages.
    CiscoIos,
    /// FortiOS traffic log lines (`key=value`, `type="traffic"`).
    #[serde(rename = "fortios")]
    FortiOs,
}

impl LogFormat {
    /// The format's name, as the reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Kernel => "kernel",
            LogFormat::ZeekTsv => "zeek-tsv",
            LogFormat::ZeekJson => "zeek-json",
            LogFormat::CiscoIos => "cisco-ios",
            LogFormat::FortiOs => "fortios",
        }
    }
}

/// One observed connection, as a log line reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// Source (the side that opened it).
    pub src: IpAddr,
    /// Destination.
    pub dst: IpAddr,
    /// IP protocol number.
    pub proto: u8,
    /// Destination port (TCP, UDP).
    pub dport: Option<u16>,
    /// ICMP or ICMPv6 type.
    pub icmp_type: Option<u8>,
    /// The day of the line, when it has one.
    pub date: Option<Date>,
    /// The device that logged it, when the line names one.
    pub device: Option<String>,
    /// How many connections the line stands for (1 for every reader).
    pub count: u64,
}

impl Connection {
    /// The connection `packet` opened: undated, from no named device,
    /// counted once.
    pub fn from_packet(packet: &Packet) -> Connection {
        Connection {
            src: packet.src,
            dst: packet.dst,
            proto: packet.proto,
            dport: packet.dport,
            icmp_type: packet.icmp_type,
            date: None,
            device: None,
            count: 1,
        }
    }
    /// Sets the day it was seen.
    pub fn with_date(mut self, date: Option<Date>) -> Self {
        self.date = date;
        self
    }
    /// Sets the device that logged it (a declared firewall's name makes it
    /// judged across that firewall).
    pub fn with_device(mut self, device: Option<String>) -> Self {
        self.device = device;
        self
    }
}

/// What `observe` judges against.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ObserveOptions {
    /// Flows in force on this day decide.
    pub today: Date,
    /// Judge as built in this isolation mode.
    pub isolation: Option<String>,
    /// Judge across this firewall when a line names no declared firewall.
    pub firewall: Option<String>,
    /// Skip lines dated before this day.
    pub since: Option<Date>,
}

impl ObserveOptions {
    /// Judged on `today`, across the whole policy, every line.
    pub fn new(today: Date) -> Self {
        ObserveOptions {
            today,
            isolation: None,
            firewall: None,
            since: None,
        }
    }
    /// Sets the isolation mode.
    pub fn with_isolation(mut self, name: Option<String>) -> Self {
        self.isolation = name;
        self
    }
    /// Sets the firewall.
    pub fn with_firewall(mut self, name: Option<String>) -> Self {
        self.firewall = name;
        self
    }
    /// Sets the first day read.
    pub fn with_since(mut self, since: Option<Date>) -> Self {
        self.since = since;
        self
    }
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Reading failed (after `line` lines).
    #[error("reading failed after line {line}: {source}")]
    Io {
        /// Lines read before the failure.
        line: u64,
        /// The error.
        source: std::io::Error,
    },
    /// No line is in a format `observe` reads.
    #[error("no line is in a format observe reads (kernel log of conduitc's nftables rules, Zeek conn.log, Cisco IOS access-list log, FortiOS traffic log)")]
    Unrecognized,
}

/// One malformed line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Malformed {
    /// Line number, from 1.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// What was read from one log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FileSummary {
    /// The name given.
    pub path: String,
    /// The format detected.
    pub format: Option<LogFormat>,
    /// Lines read.
    pub lines: u64,
    /// Connections read (an IOS line may stand for several).
    pub connections: u64,
    /// Lines that are not connection records (headers, other messages).
    pub other: u64,
    /// Connection lines dated before `--since`, skipped.
    pub before_since: u64,
    /// Malformed lines, counted.
    pub malformed: u64,
    /// The first [`MALFORMED_LISTED`] malformed lines.
    pub malformed_lines: Vec<Malformed>,
}

/// Connections a declared flow allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FlowHits {
    /// `conduit/flow`.
    pub flow: String,
    /// Its owner.
    pub owner: String,
    /// Connections it decided.
    pub connections: u64,
}

/// One end of a candidate flow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum End {
    /// A declared host of a zone.
    Host {
        /// The zone.
        zone: String,
        /// The host.
        host: String,
    },
    /// A zone (the address is no declared host of it).
    Zone {
        /// The zone.
        zone: String,
    },
    /// An address no zone holds.
    Outside {
        /// The address.
        addr: IpAddr,
    },
}

impl End {
    /// `zone.host`, `zone`, or the address.
    pub fn label(&self) -> String {
        match self {
            End::Host { zone, host } => format!("{zone}.{host}"),
            End::Zone { zone } => zone.clone(),
            End::Outside { addr } => addr.to_string(),
        }
    }
    fn zone(&self) -> Option<&str> {
        match self {
            End::Host { zone, .. } | End::Zone { zone } => Some(zone),
            End::Outside { .. } => None,
        }
    }
    fn short(&self) -> String {
        match self {
            End::Host { host, .. } => host.clone(),
            End::Zone { zone } => zone.clone(),
            End::Outside { addr } => addr.to_string().replace([':', '.'], "-"),
        }
    }
}

/// Observed connections the policy does not allow, from one source to one
/// destination with one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Candidate {
    /// Where they came from.
    pub from: End,
    /// Where they went.
    pub to: End,
    /// The service: a catalogue name when exactly one catalogue service
    /// holds the port or type, else an inline spec (`tcp/8080`).
    pub service: String,
    /// How many connections.
    pub connections: u64,
    /// The monitor-mode catch-all that admitted them (`conduit/*`), if any:
    /// without it, the firewall dropped them.
    pub monitored_by: Option<String>,
    /// The first and last day seen, when the lines are dated.
    pub first_seen: Option<Date>,
    /// See `first_seen`.
    pub last_seen: Option<Date>,
    /// Up to three source addresses seen.
    pub sources: Vec<IpAddr>,
    /// Up to three destination addresses seen.
    pub destinations: Vec<IpAddr>,
    /// The declared firewalls whose lines reported them (by the name in
    /// the line, or `--firewall`), in declaration order.
    pub firewalls: Vec<String>,
}

/// The reconciliation of every log read with the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// One summary per log, in the order read.
    pub files: Vec<FileSummary>,
    /// Connections judged (after `--since`).
    pub connections: u64,
    /// Of those, allowed by a declared flow.
    pub allowed: u64,
    /// Of those, not allowed by any declared flow.
    pub undeclared: u64,
    /// Every declared flow in force that a log covered (or that decided a
    /// connection), by full name, with its count.
    pub flows: Vec<FlowHits>,
    /// Of `flows`, those that decided no connection.
    pub unseen: Vec<String>,
    /// Undeclared connections, grouped; most connections first.
    pub candidates: Vec<Candidate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MemoKey {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    dport: Option<u16>,
    icmp_type: Option<u8>,
    at: usize,
}

#[derive(Clone, Debug)]
enum Judged {
    Flow(usize),
    Undeclared(Option<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct CandidateKey {
    from: End,
    to: End,
    proto: u8,
    dport: Option<u16>,
    icmp_type: Option<u8>,
}

#[derive(Clone, Debug, Default)]
struct Tally {
    connections: u64,
    monitored_by: Option<String>,
    first: Option<Date>,
    last: Option<Date>,
    sources: BTreeSet<IpAddr>,
    destinations: BTreeSet<IpAddr>,
    firewalls: BTreeSet<usize>,
}

/// Reads logs and reconciles them with a policy; [`Observer::finish`]
/// gives the [`Report`].
#[derive(Debug)]
pub struct Observer<'p> {
    policy: &'p Policy,
    opts: ObserveOptions,
    /// Build options: index 0 for lines naming no declared firewall, then
    /// one per declared firewall.
    builds: Vec<BuildOptions>,
    flow_index: HashMap<String, usize>,
    hits: Vec<FlowHits>,
    in_play: Vec<bool>,
    /// The conduit of each flow.
    conduit_of: Vec<usize>,
    /// Which build options judged at least one connection.
    used: Vec<bool>,
    memo: HashMap<MemoKey, Judged>,
    tallies: BTreeMap<CandidateKey, Tally>,
    files: Vec<FileSummary>,
    connections: u64,
    allowed: u64,
    undeclared: u64,
}

impl<'p> Observer<'p> {
    /// An observer of `policy`; an isolation mode or firewall the policy
    /// does not declare is the error `lower` gives.
    pub fn new(policy: &'p Policy, opts: ObserveOptions) -> Result<Observer<'p>, LowerError> {
        if let Some(name) = &opts.isolation {
            if policy.isolation(name).is_none() {
                return Err(LowerError::UnknownIsolation(name.clone()));
            }
        }
        if let Some(name) = &opts.firewall {
            if policy.firewall(name).is_none() {
                return Err(LowerError::UnknownFirewall(name.clone()));
            }
        }
        let base = BuildOptions::new(opts.today).with_isolation(opts.isolation.clone());
        let mut builds = vec![base.clone().with_firewall(opts.firewall.clone())];
        for fw in &policy.firewalls {
            builds.push(base.clone().firewall(fw.name.as_str()));
        }
        let severed: Vec<usize> = opts
            .isolation
            .as_deref()
            .and_then(|n| policy.isolation(n))
            .map(|i| i.sever.clone())
            .unwrap_or_default();
        let mut flow_index = HashMap::new();
        let mut hits = Vec::new();
        let mut in_play = Vec::new();
        let mut conduit_of = Vec::new();
        for (ci, conduit) in policy.conduits.iter().enumerate() {
            let cut = conduit.zones.iter().any(|z| severed.contains(z));
            for flow in &conduit.flows {
                flow_index.insert(flow.full_name.to_string(), hits.len());
                in_play.push(!cut && flow.in_force_on(opts.today));
                conduit_of.push(ci);
                hits.push(FlowHits {
                    flow: flow.full_name.to_string(),
                    owner: flow.owner.to_string(),
                    connections: 0,
                });
            }
        }
        let used = vec![false; builds.len()];
        Ok(Observer {
            policy,
            opts,
            builds,
            conduit_of,
            used,
            flow_index,
            hits,
            in_play,
            memo: HashMap::new(),
            tallies: BTreeMap::new(),
            files: Vec::new(),
            connections: 0,
            allowed: 0,
            undeclared: 0,
        })
    }

    /// Reads one log, line by line, under the name `path`. A log in which
    /// no line shows a format, or whose reading fails, is an error; its
    /// connections read so far still count.
    pub fn read(&mut self, path: &str, mut input: impl BufRead) -> Result<&FileSummary, ReadError> {
        let mut summary = FileSummary {
            path: path.to_string(),
            format: None,
            lines: 0,
            connections: 0,
            other: 0,
            before_since: 0,
            malformed: 0,
            malformed_lines: Vec::new(),
        };
        let mut reader: Option<readers::LineReader> = None;
        let mut buf: Vec<u8> = Vec::new();
        let mut nonblank = false;
        loop {
            buf.clear();
            let n = match read_line(&mut input, &mut buf) {
                Ok(n) => n,
                Err(source) => {
                    return Err(ReadError::Io {
                        line: summary.lines,
                        source,
                    })
                }
            };
            let Some(too_long) = n else {
                break;
            };
            summary.lines += 1;
            let record = if too_long {
                Record::Malformed(format!("longer than {MAX_LINE_BYTES} bytes"))
            } else {
                match std::str::from_utf8(&buf) {
                    Err(_) => Record::Malformed("not UTF-8 text".into()),
                    Ok(text) => {
                        let text = text.trim_end_matches(['\n', '\r']);
                        nonblank |= !text.trim().is_empty();
                        if reader.is_none() {
                            if let Some(f) = readers::detect(text) {
                                summary.format = Some(f);
                                reader = Some(readers::LineReader::new(f, self.opts.today));
                            }
                        }
                        match reader.as_mut() {
                            Some(r) => r.read(text),
                            None => Record::Other,
                        }
                    }
                }
            };
            match record {
                Record::Other => summary.other += 1,
                Record::Malformed(reason) => {
                    nonblank = true;
                    summary.malformed += 1;
                    if summary.malformed_lines.len() < MALFORMED_LISTED {
                        summary.malformed_lines.push(Malformed {
                            line: summary.lines,
                            reason,
                        });
                    }
                }
                Record::Connection(c) => {
                    if matches!((c.date, self.opts.since), (Some(d), Some(s)) if d < s) {
                        summary.before_since += c.count;
                    } else {
                        summary.connections += c.count;
                        self.observe(&c);
                    }
                }
            }
        }
        let unrecognized = summary.format.is_none() && nonblank;
        self.files.push(summary);
        if unrecognized {
            return Err(ReadError::Unrecognized);
        }
        self.files.last().ok_or(ReadError::Unrecognized)
    }

    /// Judges one connection.
    pub fn observe(&mut self, c: &Connection) {
        let at = c
            .device
            .as_deref()
            .and_then(|d| self.policy.firewalls.iter().position(|f| f.name.is(d)))
            .map_or(0, |i| i + 1);
        let key = MemoKey {
            src: c.src,
            dst: c.dst,
            proto: c.proto,
            dport: c.dport,
            icmp_type: c.icmp_type,
            at,
        };
        let judged = match self.memo.get(&key) {
            Some(j) => j.clone(),
            None => {
                let j = self.judge(&key);
                if self.memo.len() >= MEMO_ENTRIES {
                    self.memo.clear();
                }
                self.memo.insert(key.clone(), j.clone());
                j
            }
        };
        self.connections += c.count;
        if let Some(u) = self.used.get_mut(at) {
            *u = true;
        }
        match judged {
            Judged::Flow(i) => {
                self.allowed += c.count;
                if let Some(h) = self.hits.get_mut(i) {
                    h.connections += c.count;
                }
            }
            Judged::Undeclared(catch_all) => {
                self.undeclared += c.count;
                let ck = CandidateKey {
                    from: self.end(c.src),
                    to: self.end(c.dst),
                    proto: c.proto,
                    dport: c.dport,
                    icmp_type: c.icmp_type,
                };
                let fw = self.firewall_at(at);
                let t = self.tallies.entry(ck).or_default();
                t.connections += c.count;
                if t.monitored_by.is_none() {
                    t.monitored_by = catch_all;
                }
                if let Some(d) = c.date {
                    t.first = Some(t.first.map_or(d, |f| f.min(d)));
                    t.last = Some(t.last.map_or(d, |l| l.max(d)));
                }
                if let Some(fw) = fw {
                    t.firewalls.insert(fw);
                }
                if t.sources.len() < 3 {
                    t.sources.insert(c.src);
                }
                if t.destinations.len() < 3 {
                    t.destinations.insert(c.dst);
                }
            }
        }
    }

    /// The index of the firewall build options `at` judge across.
    fn firewall_at(&self, at: usize) -> Option<usize> {
        let name = self.builds.get(at)?.firewall.as_deref()?;
        self.policy.firewalls.iter().position(|f| f.name.is(name))
    }

    fn judge(&self, k: &MemoKey) -> Judged {
        let packet = Packet {
            src: k.src,
            dst: k.dst,
            proto: k.proto,
            dport: k.dport,
            icmp_type: k.icmp_type,
        };
        let Some(build) = self.builds.get(k.at) else {
            return Judged::Undeclared(None);
        };
        // Names were checked in `new`, so `decide` cannot fail here; if it
        // did, the connection would count as undeclared, never as allowed.
        match decide(self.policy, &packet, build) {
            Ok(d) if d.decision == Verdict::Allow => match d.flow {
                Some(name) if name.ends_with("/*") => Judged::Undeclared(Some(name)),
                Some(name) => match self.flow_index.get(&name) {
                    Some(i) => Judged::Flow(*i),
                    None => Judged::Undeclared(None),
                },
                None => Judged::Undeclared(None),
            },
            _ => Judged::Undeclared(None),
        }
    }

    fn end(&self, addr: IpAddr) -> End {
        let Some(z) = self.policy.zone_of(addr) else {
            return End::Outside { addr };
        };
        let Some(zone) = self.policy.zones.get(z) else {
            return End::Outside { addr };
        };
        match zone.hosts.iter().find(|h| h.addrs.contains(&addr)) {
            Some(h) => End::Host {
                zone: zone.name.to_string(),
                host: h.name.to_string(),
            },
            None => End::Zone {
                zone: zone.name.to_string(),
            },
        }
    }

    /// True when a connection judged with build options `at` could have
    /// crossed a firewall that holds a rule of conduit `ci`.
    fn covers(&self, at: usize, ci: usize) -> bool {
        let Some(firewall) = self.builds.get(at).and_then(|b| b.firewall.as_deref()) else {
            return true;
        };
        let (Some(fw), Some(conduit)) =
            (self.policy.firewall(firewall), self.policy.conduits.get(ci))
        else {
            return false;
        };
        conduit
            .zones
            .iter()
            .all(|z| fw.interfaces.iter().any(|i| i.zone == *z))
    }

    /// The report of everything read. A flow is listed (and may be unseen)
    /// when it is in force and a log covered it: a line naming a firewall
    /// covers the flows of the conduits that firewall joins; a line naming
    /// none covers those of `--firewall`, or every flow.
    pub fn finish(self) -> Report {
        let covered = |i: usize| {
            let ci = self.conduit_of.get(i).copied().unwrap_or(usize::MAX);
            self.used
                .iter()
                .enumerate()
                .any(|(at, used)| *used && self.covers(at, ci))
        };
        let mut flows: Vec<FlowHits> = self
            .hits
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                h.connections > 0 || (self.in_play.get(*i).copied().unwrap_or(false) && covered(*i))
            })
            .map(|(_, h)| h.clone())
            .collect();
        flows.sort_by(|a, b| a.flow.as_bytes().cmp(b.flow.as_bytes()));
        let unseen = flows
            .iter()
            .filter(|h| h.connections == 0)
            .map(|h| h.flow.clone())
            .collect();
        let mut candidates: Vec<Candidate> = self
            .tallies
            .into_iter()
            .map(|(k, t)| Candidate {
                service: service_name(self.policy, k.proto, k.dport, k.icmp_type),
                from: k.from,
                to: k.to,
                connections: t.connections,
                monitored_by: t.monitored_by,
                first_seen: t.first,
                last_seen: t.last,
                sources: t.sources.into_iter().collect(),
                destinations: t.destinations.into_iter().collect(),
                firewalls: t
                    .firewalls
                    .iter()
                    .filter_map(|i| self.policy.firewalls.get(*i))
                    .map(|f| f.name.to_string())
                    .collect(),
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.connections
                .cmp(&a.connections)
                .then_with(|| (&a.from, &a.to, &a.service).cmp(&(&b.from, &b.to, &b.service)))
        });
        Report {
            files: self.files,
            connections: self.connections,
            allowed: self.allowed,
            undeclared: self.undeclared,
            flows,
            unseen,
            candidates,
        }
    }
}

/// Reads one line into `buf`, at most [`MAX_LINE_BYTES`] of it: `None` at
/// the end, `Some(true)` when the line was longer (the rest is skipped).
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    let mut any = false;
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        if take > room {
            too_long = true;
            buf.extend_from_slice(&chunk[..room]);
        } else {
            buf.extend_from_slice(&chunk[..take]);
        }
        input.consume(take);
        if done {
            return Ok(Some(too_long));
        }
    }
}

/// The service of a candidate: the one catalogue service holding the port
/// or type (not replaced by a different user service of that name), else
/// an inline spec.
fn service_name(policy: &Policy, proto: u8, dport: Option<u16>, icmp_type: Option<u8>) -> String {
    let matching: Vec<&str> = CATALOGUE
        .iter()
        .filter(|s| s.service_set().admits(proto, dport, icmp_type))
        .filter(|s| {
            policy
                .services
                .iter()
                .find(|u| u.name.is(s.name))
                .is_none_or(|u| u.set.admits(proto, dport, icmp_type))
        })
        .map(|s| s.name)
        .collect();
    if let [one] = matching.as_slice() {
        return (*one).to_string();
    }
    match (proto, dport, icmp_type) {
        (6, Some(p), _) => format!("tcp/{p}"),
        (17, Some(p), _) => format!("udp/{p}"),
        (1, _, Some(t)) | (58, _, Some(t)) => {
            let v6 = proto == 58;
            let fam = if v6 { "icmpv6" } else { "icmp" };
            match icmp_type_name(t, v6) {
                Some(n) => format!("{fam}/{n}"),
                None => format!("{fam}/{t}"),
            }
        }
        (n, _, _) => format!("ip/{n}"),
    }
}

/// The owner placeholder of [`to_conduit`]: no policy declares it, so
/// `check` refuses the candidates (E202) until it is replaced.
pub const OWNER_PLACEHOLDER: &str = "fill-in-owner";

/// The candidates as conduit declarations to review: one `conduit
/// observed-A-B` per pair of zones, holding one flow per candidate. The
/// owner is [`OWNER_PLACEHOLDER`] and the `reason` is left out (only a
/// comment suggests it), so `check` refuses the text until a person fills
/// both in. Candidates with an end outside every zone, or both ends in one
/// zone, cannot be a flow and are listed as comments.
pub fn to_conduit(report: &Report, policy: &Policy) -> String {
    let zone_pos = |z: &str| policy.zone_id(z).unwrap_or(usize::MAX);
    let mut pairs: BTreeMap<(usize, usize), Vec<&Candidate>> = BTreeMap::new();
    let mut loose: Vec<&Candidate> = Vec::new();
    for c in &report.candidates {
        match (c.from.zone(), c.to.zone()) {
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
                let (a, b) = (zone_pos(a), zone_pos(b));
                pairs.entry((a.min(b), a.max(b))).or_default().push(c);
            }
            _ => loose.push(c),
        }
    }
    let mut out = String::new();
    out.push_str(
        "# Candidate flows from `conduitc observe`: connections the policy does not allow.\n",
    );
    out.push_str(
        "# Review each flow: keep it (replace the owner placeholder and write its reason)\n",
    );
    out.push_str("# or delete it. `conduitc check` refuses this text until both are filled in.\n");
    let mut taken: BTreeSet<String> = policy.conduits.iter().map(|c| c.name.key()).collect();
    for ((a, b), cands) in &pairs {
        let (Some(za), Some(zb)) = (policy.zones.get(*a), policy.zones.get(*b)) else {
            continue;
        };
        let mut name = format!("observed-{}-{}", za.name, zb.name);
        if name.len() > crate::limits::MAX_NAME_CHARS {
            name = format!("observed-{}", taken.len() + 1);
        }
        let mut n = 2;
        let base = name.clone();
        while taken.contains(&name.to_ascii_lowercase()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.to_ascii_lowercase());
        out.push('\n');
        for existing in policy
            .conduits
            .iter()
            .filter(|c| c.zones.contains(a) && c.zones.contains(b))
        {
            let _ = writeln!(
                out,
                "# The policy's conduit {} also joins these zones: the flows may move into it.",
                existing.name
            );
        }
        let _ = write!(
            out,
            "conduit {name} {{\n  zones {}, {}\n  owner {OWNER_PLACEHOLDER}\n",
            za.name, zb.name
        );
        let mut flow_names: BTreeSet<String> = BTreeSet::new();
        for c in cands {
            let svc = c.service.replace('/', "-");
            let mut fname = format!("{}-to-{}-{}", c.from.short(), c.to.short(), svc);
            if fname.len() > crate::limits::MAX_NAME_CHARS {
                fname = format!("observed-{}", flow_names.len() + 1);
            }
            let base = fname.clone();
            let mut n = 2;
            while flow_names.contains(&fname) {
                fname = format!("{base}-{n}");
                n += 1;
            }
            flow_names.insert(fname.clone());
            out.push('\n');
            let _ = writeln!(out, "  # {}", seen_line(c));
            for fw in &c.firewalls {
                let Some(f) = policy.firewall(fw) else {
                    continue;
                };
                if !f.interfaces.iter().any(|i| i.zone == *a)
                    || !f.interfaces.iter().any(|i| i.zone == *b)
                {
                    let _ = writeln!(
                        out,
                        "  # Logged at {fw}, which does not join these two zones: this flow does not change what {fw} passes."
                    );
                }
            }
            let _ = writeln!(
                out,
                "  flow {fname} {{\n    from {}\n    to {}\n    service {}\n    # reason \"why this flow is needed\"\n  }}",
                c.from.label(),
                c.to.label(),
                c.service
            );
        }
        out.push_str("}\n");
    }
    if !loose.is_empty() {
        out.push_str("\n# Not expressible as a flow (an end outside every zone, or both ends in one zone):\n");
        for c in loose {
            let _ = writeln!(
                out,
                "#   {} -> {} {}: {}",
                c.from.label(),
                c.to.label(),
                c.service,
                seen_line(c)
            );
        }
    }
    out
}

fn seen_line(c: &Candidate) -> String {
    let mut s = format!(
        "{} connection{}",
        c.connections,
        if c.connections == 1 { "" } else { "s" }
    );
    match (c.first_seen, c.last_seen) {
        (Some(a), Some(b)) if a == b => {
            let _ = write!(s, " on {a}");
        }
        (Some(a), Some(b)) => {
            let _ = write!(s, " from {a} to {b}");
        }
        _ => {}
    }
    match &c.monitored_by {
        Some(m) => {
            let _ = write!(s, ", admitted by monitor catch-all {m}");
        }
        None => s.push_str(", dropped"),
    }
    s
}
