//! One reader per log format. Each turns one line of text into a
//! [`Record`]: an observed connection, a line that is not a connection
//! record of the format (a header, another kernel or device message), or a
//! malformed record with the reason.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::model::Date;

use super::{Connection, LogFormat};

/// What one line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// An observed connection.
    Connection(Connection),
    /// Not a connection record of the format: a header line, a comment, a
    /// message about something else.
    Other,
    /// A connection record that cannot be read, and why.
    Malformed(String),
}

/// The format of `line`, when the line alone shows it.
pub fn detect(line: &str) -> Option<LogFormat> {
    let t = line.trim_start();
    if t.starts_with("#separator") || t.starts_with("#fields") {
        return Some(LogFormat::ZeekTsv);
    }
    if t.starts_with('{') && t.contains("\"id.orig_h\"") {
        return Some(LogFormat::ZeekJson);
    }
    if t.contains("%SEC-6-IPACCESSLOG") || t.contains("%IPV6_ACL-6-ACCESSLOG") {
        return Some(LogFormat::CiscoIos);
    }
    if t.contains("srcip=") && (t.contains("type=\"traffic\"") || t.contains("type=traffic")) {
        return Some(LogFormat::FortiOs);
    }
    if kernel_body(t).is_some() {
        return Some(LogFormat::Kernel);
    }
    None
}

/// The state a reader keeps between the lines of one file: the Zeek TSV
/// header, the year assumed for syslog dates.
#[derive(Clone, Debug)]
pub struct LineReader {
    format: LogFormat,
    today: Date,
    /// Zeek TSV: the field separator and the columns we read.
    separator: String,
    columns: Option<ZeekColumns>,
    /// Cisco IOS: the last connections seen, as (protocol, source, source
    /// port, destination, destination port), to recognise their replies.
    recent: HashSet<(u8, IpAddr, u16, IpAddr, u16)>,
}

/// Connections remembered to recognise replies, before the set is emptied.
const RECENT_ENTRIES: usize = 1 << 16;

#[derive(Clone, Copy, Debug)]
struct ZeekColumns {
    count: usize,
    ts: usize,
    orig_h: usize,
    resp_h: usize,
    resp_p: usize,
    orig_p: usize,
    proto: usize,
}

impl LineReader {
    /// A reader of `format`; syslog dates without a year are placed in the
    /// twelve months up to `today`.
    pub fn new(format: LogFormat, today: Date) -> LineReader {
        LineReader {
            format,
            today,
            separator: "\t".to_string(),
            columns: None,
            recent: HashSet::new(),
        }
    }

    /// Reads one line (without its line end).
    pub fn read(&mut self, line: &str) -> Record {
        if line.trim().is_empty() {
            return Record::Other;
        }
        match self.format {
            LogFormat::Kernel => kernel(line, self.today),
            LogFormat::ZeekTsv => self.zeek_tsv(line),
            LogFormat::ZeekJson => zeek_json(line),
            LogFormat::CiscoIos => ios(line, self.today, &mut self.recent),
            LogFormat::FortiOs => fortios(line),
        }
    }

    fn zeek_tsv(&mut self, line: &str) -> Record {
        if let Some(rest) = line.strip_prefix('#') {
            if let Some(sep) = rest.strip_prefix("separator ") {
                match unescape_separator(sep) {
                    Some(s) => self.separator = s,
                    None => return Record::Malformed(format!("unreadable #separator `{sep}`")),
                }
            } else if let Some(fields) = rest.strip_prefix("fields") {
                let names: Vec<&str> = fields
                    .strip_prefix(self.separator.as_str())
                    .unwrap_or(fields)
                    .split(self.separator.as_str())
                    .collect();
                let find = |n: &str| names.iter().position(|x| *x == n);
                match (
                    find("ts"),
                    find("id.orig_h"),
                    find("id.orig_p"),
                    find("id.resp_h"),
                    find("id.resp_p"),
                    find("proto"),
                ) {
                    (
                        Some(ts),
                        Some(orig_h),
                        Some(orig_p),
                        Some(resp_h),
                        Some(resp_p),
                        Some(proto),
                    ) => {
                        self.columns = Some(ZeekColumns {
                            count: names.len(),
                            ts,
                            orig_h,
                            orig_p,
                            resp_h,
                            resp_p,
                            proto,
                        });
                    }
                    _ => {
                        self.columns = None;
                        return Record::Malformed(
                            "#fields lacks one of ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto"
                                .into(),
                        );
                    }
                }
            }
            return Record::Other;
        }
        let Some(c) = self.columns else {
            return Record::Malformed("a record before the #fields header".into());
        };
        let f: Vec<&str> = line.split(self.separator.as_str()).collect();
        if f.len() != c.count {
            return Record::Malformed(format!(
                "{} fields where #fields names {}",
                f.len(),
                c.count
            ));
        }
        zeek_record(
            f[c.ts],
            f[c.orig_h],
            f[c.orig_p],
            f[c.resp_h],
            f[c.resp_p],
            f[c.proto],
        )
    }
}

/// `\x09` and friends, as Zeek writes its separator.
fn unescape_separator(s: &str) -> Option<String> {
    let s = s.trim_end_matches('\r');
    if let Some(hex) = s.strip_prefix("\\x") {
        let b = u8::from_str_radix(hex, 16).ok()?;
        return Some(char::from(b).to_string());
    }
    (!s.is_empty()).then(|| s.to_string())
}

fn zeek_record(
    ts: &str,
    orig_h: &str,
    orig_p: &str,
    resp_h: &str,
    resp_p: &str,
    proto: &str,
) -> Record {
    let src: IpAddr = match orig_h.parse() {
        Ok(a) => a,
        Err(_) => {
            return Record::Malformed(format!("id.orig_h `{}` is not an address", short(orig_h)))
        }
    };
    let dst: IpAddr = match resp_h.parse() {
        Ok(a) => a,
        Err(_) => {
            return Record::Malformed(format!("id.resp_h `{}` is not an address", short(resp_h)))
        }
    };
    let date = match zeek_ts(ts) {
        Some(d) => Some(d),
        None => return Record::Malformed(format!("ts `{}` is not a time", short(ts))),
    };
    let num = |s: &str, what: &str| -> Result<u16, String> {
        s.parse::<u16>()
            .map_err(|_| format!("{what} `{}` is not a number 0-65535", short(s)))
    };
    let v6 = src.is_ipv6();
    let (proto, dport, icmp_type) = match proto {
        "tcp" | "udp" => match num(resp_p, "id.resp_p") {
            Ok(p) => (if proto == "tcp" { 6 } else { 17 }, Some(p), None),
            Err(e) => return Record::Malformed(e),
        },
        // Zeek puts the ICMP type in id.orig_p and the code in id.resp_p.
        "icmp" => match num(orig_p, "id.orig_p") {
            Ok(t) if t <= 255 => (if v6 { 58 } else { 1 }, None, Some(t as u8)),
            _ => return Record::Malformed(format!("ICMP type `{}` is not 0-255", short(orig_p))),
        },
        other => {
            return Record::Malformed(format!("proto `{}` is not tcp, udp or icmp", short(other)))
        }
    };
    Record::Connection(Connection {
        src,
        dst,
        proto,
        dport,
        icmp_type,
        date,
        device: None,
        count: 1,
    })
}

/// Zeek's `ts`: seconds since the epoch, or an ISO 8601 time (the JSON
/// writer's `JSON::TS_FORMAT=iso8601`).
fn zeek_ts(ts: &str) -> Option<Date> {
    if let Some(day) = ts
        .get(0..10)
        .filter(|_| ts.as_bytes().get(10) == Some(&b'T'))
    {
        return Date::parse(day);
    }
    let secs: f64 = ts.parse().ok()?;
    if !secs.is_finite() || !(0.0..1e11).contains(&secs) {
        return None;
    }
    let epoch = Date::parse("1970-01-01")?;
    Some(epoch.add_days((secs / 86_400.0).floor() as i64))
}

fn zeek_json(line: &str) -> Record {
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Record::Malformed(format!("not a JSON object: {e}")),
    };
    let Some(o) = v.as_object() else {
        return Record::Malformed("not a JSON object".into());
    };
    let text = |k: &str| -> Option<String> {
        match o.get(k)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let keys = [
        "ts",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
    ];
    let mut vals = Vec::with_capacity(keys.len());
    for k in keys {
        match text(k) {
            Some(s) => vals.push(s),
            None => return Record::Malformed(format!("no `{k}`")),
        }
    }
    zeek_record(&vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &vals[5])
}

/// At most 40 characters of `s`, for a message.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push_str("...");
    }
    out
}

// ---------------------------------------------------------------------------
// Syslog headers

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The date and host of a syslog or journal header at the start of `line`:
/// `Dec  4 20:37:42 host ...` (RFC 3164, `journalctl` short), or
/// `2026-12-04T20:37:42+0000 host ...` (`journalctl -o short-iso`, RFC
/// 5424 collectors). A date without a year is the latest such day on or
/// before `today`.
fn syslog_header(line: &str, today: Date) -> (Option<Date>, Option<String>) {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return (None, None);
    };
    if let Some(m) = MONTHS.iter().position(|m| *m == first) {
        let day = words.next().and_then(|d| d.parse::<u8>().ok());
        let time = words.next();
        let host = words.next();
        let Some(day) = day else {
            return (None, None);
        };
        if !time.is_some_and(|t| t.len() >= 8 && t.as_bytes().get(2) == Some(&b':')) {
            return (None, None);
        }
        return (year_less(m as u8 + 1, day, today), host.map(header_host));
    }
    if first.len() > 10 && first.as_bytes().get(10) == Some(&b'T') {
        if let Some(d) = first.get(0..10).and_then(Date::parse) {
            return (Some(d), words.next().map(header_host));
        }
    }
    (None, None)
}

fn header_host(h: &str) -> String {
    h.trim_end_matches(':').to_string()
}

/// The day `month`-`day` in the year of `today`, or the year before when that
/// lies after `today`.
fn year_less(month: u8, day: u8, today: Date) -> Option<Date> {
    let this = today_year(today);
    let at = |y: i32| Date::parse(&format!("{y:04}-{month:02}-{day:02}"));
    match at(this) {
        Some(d) if d <= today => Some(d),
        _ => at(this - 1),
    }
}

fn today_year(today: Date) -> i32 {
    today
        .to_string()
        .get(0..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}

// ---------------------------------------------------------------------------
// Kernel (nf_log) lines of conduitc's own rules

/// The text from conduitc's log prefix on, when the line carries one:
/// `conduit drop IN=...`, `conduit monitor c/* IN=...`, `conduit c/f IN=...`.
fn kernel_body(line: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = line[from..].find("conduit ") {
        let at = from + i;
        let body = &line[at..];
        let boundary =
            at == 0 || line.as_bytes()[at - 1] == b' ' || line.as_bytes()[at - 1] == b']';
        if boundary {
            if let Some(j) = body.find(" IN=") {
                let prefix = &body[..j];
                let words: Vec<&str> = prefix.split(' ').collect();
                let ours = match words.as_slice() {
                    ["conduit", "drop"] => true,
                    ["conduit", "monitor", name] => name.ends_with("/*"),
                    ["conduit", name] => name.contains('/'),
                    _ => false,
                };
                if ours {
                    return Some(body);
                }
            }
        }
        from = at + 1;
    }
    None
}

fn kernel(line: &str, today: Date) -> Record {
    let Some(body) = kernel_body(line) else {
        return Record::Other;
    };
    let (date, host) = syslog_header(line, today);
    // The first of each key counts (an ICMP error quotes the packet it is
    // about in brackets, after the message's own fields).
    let mut fields: [Option<&str>; 5] = [None; 5];
    const KEYS: [&str; 5] = ["SRC", "DST", "PROTO", "DPT", "TYPE"];
    for w in body.split(' ') {
        if let Some((k, v)) = w.split_once('=') {
            if let Some(i) = KEYS.iter().position(|x| *x == k) {
                if fields[i].is_none() {
                    fields[i] = Some(v);
                }
            }
        }
    }
    let get = |k: &str| KEYS.iter().position(|x| *x == k).and_then(|i| fields[i]);
    let addr = |k: &str| -> Result<IpAddr, String> {
        let v = get(k).unwrap_or("");
        v.parse()
            .map_err(|_| format!("{k}=`{}` is not an address", short(v)))
    };
    let (src, dst) = match (addr("SRC"), addr("DST")) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return Record::Malformed(e),
    };
    let Some(proto) = get("PROTO") else {
        return Record::Malformed("no PROTO=".into());
    };
    let number = |k: &str| -> Result<u16, String> {
        let v = get(k).unwrap_or("");
        v.parse()
            .map_err(|_| format!("{k}=`{}` is not a number", short(v)))
    };
    let (proto, dport, icmp_type) = match proto {
        "TCP" | "UDP" | "UDPLITE" | "SCTP" | "DCCP" => {
            let n = match proto {
                "TCP" => 6,
                "UDP" => 17,
                "UDPLITE" => 136,
                "SCTP" => 132,
                _ => 33,
            };
            if n == 6 || n == 17 {
                match number("DPT") {
                    Ok(p) => (n, Some(p), None),
                    Err(e) => return Record::Malformed(e),
                }
            } else {
                (n, None, None)
            }
        }
        "ICMP" | "ICMPv6" => match number("TYPE") {
            Ok(t) if t <= 255 => (if proto == "ICMP" { 1 } else { 58 }, None, Some(t as u8)),
            Ok(_) => return Record::Malformed("TYPE= is not 0-255".into()),
            Err(e) => return Record::Malformed(e),
        },
        n => match n.parse::<u8>() {
            Ok(n) => (n, None, None),
            Err(_) => return Record::Malformed(format!("PROTO=`{}` is unknown", short(n))),
        },
    };
    Record::Connection(Connection {
        src,
        dst,
        proto,
        dport,
        icmp_type,
        date,
        device: host,
        count: 1,
    })
}

// ---------------------------------------------------------------------------
// Cisco IOS access-list logging

/// One line is one connection, whatever its packet count. For TCP and UDP,
/// a connection is its addresses and ports: a later line for the same ones
/// (the device's periodic summary of further packets) is no new
/// connection, and neither is a line for the same ones swapped. An access
/// list is stateless, so a monitor-mode catch-all (`permit ip SRC DST log`)
/// also logs the replies of the connections it admits, in the other
/// direction.
fn ios(line: &str, today: Date, recent: &mut HashSet<(u8, IpAddr, u16, IpAddr, u16)>) -> Record {
    let markers = [
        "%SEC-6-IPACCESSLOGP:",
        "%SEC-6-IPACCESSLOGDP:",
        "%SEC-6-IPACCESSLOGNP:",
        "%SEC-6-IPACCESSLOGRP:",
        "%SEC-6-IPACCESSLOGSP:",
        "%IPV6_ACL-6-ACCESSLOGP:",
        "%IPV6_ACL-6-ACCESSLOGDP:",
        "%IPV6_ACL-6-ACCESSLOGNP:",
    ];
    let Some((at, marker)) = markers.iter().find_map(|m| line.find(m).map(|i| (i, *m))) else {
        return Record::Other;
    };
    let (mut date, host) = syslog_header(line, today);
    if date.is_none() {
        date = ios_timestamp(&line[..at], today);
    }
    let msg = line[at + marker.len()..].trim();
    // list NAME permitted|denied PROTO SRC[(SPORT)] [(IF MAC)] -> DST[(DPORT)][ (TYPE/CODE)], N packet(s)
    let words: Vec<&str> = msg.split_whitespace().collect();
    if words.len() < 6 || words[0] != "list" {
        return Record::Malformed("expected `list NAME permitted|denied ...`".into());
    }
    let Some(arrow) = words.iter().position(|w| *w == "->") else {
        return Record::Malformed("no `->` between source and destination".into());
    };
    if arrow < 5 || arrow + 1 >= words.len() {
        return Record::Malformed("expected `PROTO SOURCE -> DESTINATION`".into());
    }
    let proto_word = words[3].to_ascii_lowercase();
    let (src, sport) = match addr_port(words[4]) {
        Some(x) => x,
        None => return Record::Malformed(format!("`{}` is not a source address", short(words[4]))),
    };
    let dst_word = words[arrow + 1].trim_end_matches(',');
    let (dst, dport) = match addr_port(dst_word) {
        Some(x) => x,
        None => {
            return Record::Malformed(format!(
                "`{}` is not a destination address",
                short(dst_word)
            ))
        }
    };
    let rest = &words[arrow + 2..];
    let (proto, dport, icmp_type) = match proto_word.as_str() {
        "tcp" | "udp" => match dport {
            Some(p) => {
                let n = if proto_word == "tcp" { 6 } else { 17 };
                if let Some(sp) = sport {
                    if recent.contains(&(n, dst, p, src, sp))
                        || recent.contains(&(n, src, sp, dst, p))
                    {
                        return Record::Other;
                    }
                    if recent.len() >= RECENT_ENTRIES {
                        recent.clear();
                    }
                    recent.insert((n, src, sp, dst, p));
                }
                (n, Some(p), None)
            }
            None => return Record::Malformed("no destination port".into()),
        },
        "icmp" | "icmpv6" | "ipv6-icmp" => {
            let t = rest.first().and_then(|w| {
                w.trim_start_matches('(')
                    .trim_end_matches(',')
                    .trim_end_matches(')')
                    .split('/')
                    .next()
                    .and_then(|t| t.parse::<u8>().ok())
            });
            let v6 = proto_word != "icmp" || src.is_ipv6();
            match t {
                Some(t) => (if v6 { 58 } else { 1 }, None, Some(t)),
                None => return Record::Malformed("no ICMP type `(TYPE/CODE)`".into()),
            }
        }
        n => match n.parse::<u8>() {
            Ok(n) => (n, None, None),
            Err(_) => match n {
                "gre" => (47, None, None),
                "esp" => (50, None, None),
                "ahp" => (51, None, None),
                "ospf" => (89, None, None),
                "pim" => (103, None, None),
                _ => return Record::Malformed(format!("protocol `{}` is unknown", short(n))),
            },
        },
    };
    Record::Connection(Connection {
        src,
        dst,
        proto,
        dport,
        icmp_type,
        date,
        device: host,
        count: 1,
    })
}

/// `10.1.1.1(1234)`, `2001:DB8::1(22)` or a bare address.
fn addr_port(w: &str) -> Option<(IpAddr, Option<u16>)> {
    match w.split_once('(') {
        Some((a, p)) => Some((a.parse().ok()?, Some(p.strip_suffix(')')?.parse().ok()?))),
        None => Some((w.parse().ok()?, None)),
    }
}

/// The device's own timestamp before the message: `*Dec  4 20:37:42.123:`,
/// `Dec  4 2026 20:37:42 UTC:`, after an optional sequence number.
fn ios_timestamp(head: &str, today: Date) -> Option<Date> {
    let words: Vec<&str> = head.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| MONTHS.contains(&w.trim_start_matches(['*', '.'])))?;
    let m = MONTHS
        .iter()
        .position(|m| *m == words[i].trim_start_matches(['*', '.']))? as u8
        + 1;
    let day: u8 = words.get(i + 1)?.parse().ok()?;
    if let Some(y) = words
        .get(i + 2)
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| *y > 1900)
    {
        return Date::parse(&format!("{y:04}-{m:02}-{day:02}"));
    }
    year_less(m, day, today)
}

// ---------------------------------------------------------------------------
// FortiOS traffic logs

/// The `key=value` pairs of a FortiOS log line; values may be quoted.
fn kv(line: &str) -> HashMap<&str, &str> {
    let mut out = HashMap::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b' ' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        let key = &line[ks..i];
        i += 1;
        let value = if i < b.len() && b[i] == b'"' {
            let vs = i + 1;
            i = vs;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let v = line.get(vs..i.min(b.len())).unwrap_or("");
            i += 1;
            v
        } else {
            let vs = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            &line[vs..i]
        };
        out.entry(key).or_insert(value);
    }
    out
}

fn fortios(line: &str) -> Record {
    let f = kv(line);
    if f.get("type").copied() != Some("traffic") {
        return Record::Other;
    }
    let addr = |k: &str| -> Result<IpAddr, String> {
        let v = f.get(k).copied().unwrap_or("");
        v.parse()
            .map_err(|_| format!("{k}=`{}` is not an address", short(v)))
    };
    let (src, dst) = match (addr("srcip"), addr("dstip")) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return Record::Malformed(e),
    };
    let proto: u8 = match f.get("proto").map(|p| p.parse::<u8>()) {
        Some(Ok(p)) => p,
        _ => return Record::Malformed("proto= is not a protocol number".into()),
    };
    let (dport, icmp_type) = match proto {
        6 | 17 => match f.get("dstport").and_then(|p| p.parse::<u16>().ok()) {
            Some(p) => (Some(p), None),
            None => return Record::Malformed("dstport= is not a port".into()),
        },
        1 | 58 => {
            let t = f.get("icmptype").and_then(|t| match t.strip_prefix("0x") {
                Some(h) => u8::from_str_radix(h, 16).ok(),
                None => t.parse().ok(),
            });
            match t {
                Some(t) => (None, Some(t)),
                None => return Record::Malformed("icmptype= is not an ICMP type".into()),
            }
        }
        _ => (None, None),
    };
    let date = match f.get("date") {
        Some(d) => match Date::parse(d) {
            Some(d) => Some(d),
            None => return Record::Malformed(format!("date=`{}` is not a date", short(d))),
        },
        None => None,
    };
    Record::Connection(Connection {
        src,
        dst,
        proto,
        dport,
        icmp_type,
        date,
        device: f.get("devname").map(|d| d.to_string()),
        count: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::parse("2026-12-04").unwrap()
    }

    fn conn(format: LogFormat, line: &str) -> Connection {
        match LineReader::new(format, today()).read(line) {
            Record::Connection(c) => c,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn kernel_lines_from_dmesg_journal_and_syslog() {
        let dmesg = "[18611.363843] conduit drop IN=r-sup OUT=r-ctl SRC=10.1.1.1 DST=10.2.2.2 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=502 WINDOW=64240 RES=0x00 SYN URGP=0 ";
        assert_eq!(detect(dmesg), Some(LogFormat::Kernel));
        let c = conn(LogFormat::Kernel, dmesg);
        assert_eq!((c.proto, c.dport, c.date), (6, Some(502), None));
        let journal = "Dec 03 23:59:01 ot-core-fw kernel: conduit monitor a-b/* IN=eth2 OUT=eth1 MAC=00 SRC=2001:db8::1 DST=2001:db8::2 LEN=104 TC=0 HOPLIMIT=63 FLOWLBL=1 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1 ";
        let c = conn(LogFormat::Kernel, journal);
        assert_eq!((c.proto, c.icmp_type), (58, Some(128)));
        assert_eq!(c.date, Date::parse("2026-12-03"));
        assert_eq!(c.device.as_deref(), Some("ot-core-fw"));
        // A day after today in a yearless header is last year's.
        let c = conn(LogFormat::Kernel, &journal.replace("Dec 03", "Dec 24"));
        assert_eq!(c.date, Date::parse("2025-12-24"));
        let other = "Dec 03 23:59:01 ot-core-fw kernel: usb 1-1: new high-speed USB device";
        assert_eq!(
            LineReader::new(LogFormat::Kernel, today()).read(other),
            Record::Other
        );
        let foreign = "[1.0] fw-drop IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP DPT=1";
        assert_eq!(detect(foreign), None);
        let bad = "[1.0] conduit drop IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.x PROTO=TCP DPT=1";
        assert!(matches!(
            LineReader::new(LogFormat::Kernel, today()).read(bad),
            Record::Malformed(m) if m.contains("DST=")
        ));
    }

    #[test]
    fn ios_messages_v4_v6_icmp_and_packet_counts() {
        let l = "Dec  4 08:01:02 cell-router 231: *Dec  4 08:01:02.123: %SEC-6-IPACCESSLOGP: list conduit-gi0-3-in denied tcp 10.20.0.31(51000) -> 10.1.20.11(80), 3 packets";
        assert_eq!(detect(l), Some(LogFormat::CiscoIos));
        let c = conn(LogFormat::CiscoIos, l);
        assert_eq!((c.proto, c.dport, c.count), (6, Some(80), 1));
        assert_eq!(c.device.as_deref(), Some("cell-router"));
        let l = "000123: Dec  4 2026 08:01:02 UTC: %SEC-6-IPACCESSLOGDP: list acl permitted icmp 10.20.0.10 -> 10.1.10.11 (8/0), 1 packet";
        let c = conn(LogFormat::CiscoIos, l);
        assert_eq!(
            (c.proto, c.icmp_type, c.date),
            (1, Some(8), Date::parse("2026-12-04"))
        );
        let l = "%IPV6_ACL-6-ACCESSLOGP: list conduit-v6/40 permitted tcp 2001:DB8:20::10(40001) -> 2001:DB8:30::20(4840), 1 packet";
        let c = conn(LogFormat::CiscoIos, l);
        assert_eq!((c.proto, c.dport), (6, Some(4840)));
        assert!(c.src.is_ipv6());
        // The reply a catch-all logs in the other direction is no connection.
        let mut r = LineReader::new(LogFormat::CiscoIos, today());
        let fwd = "%SEC-6-IPACCESSLOGP: list conduit-supervisory-in permitted tcp 10.20.0.31(50112) -> 10.1.20.11(80), 1 packet";
        let back = "%SEC-6-IPACCESSLOGP: list conduit-packaging-in permitted tcp 10.1.20.11(80) -> 10.20.0.31(50112), 1 packet";
        assert!(matches!(r.read(fwd), Record::Connection(_)));
        assert_eq!(r.read(back), Record::Other);
        assert_eq!(
            r.read(&fwd.replace(", 1 packet", ", 14 packets")),
            Record::Other
        );
        assert!(matches!(
            r.read(&fwd.replace("50112", "50113")),
            Record::Connection(_)
        ));
    }

    #[test]
    fn fortios_traffic_lines() {
        let l = r#"date=2026-12-04 time=08:00:01 devname="plant-edge-fw" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.10.50.3 srcport=50123 srcintf="port1" dstip=10.35.0.20 dstport=3389 dstintf="port2" proto=6 action="accept" policyid=2 service="RDP""#;
        assert_eq!(detect(l), Some(LogFormat::FortiOs));
        let c = conn(LogFormat::FortiOs, l);
        assert_eq!((c.proto, c.dport), (6, Some(3389)));
        assert_eq!(c.device.as_deref(), Some("plant-edge-fw"));
        let l = r#"date=2026-12-04 type="traffic" srcip=10.10.50.3 dstip=10.35.0.20 proto=1 icmptype=0x08 icmpcode=0x00"#;
        assert_eq!(conn(LogFormat::FortiOs, l).icmp_type, Some(8));
        let event = r#"date=2026-12-04 type="event" subtype="system" msg="admin login""#;
        assert_eq!(
            LineReader::new(LogFormat::FortiOs, today()).read(event),
            Record::Other
        );
    }

    #[test]
    fn zeek_tsv_follows_its_header_and_json_reads_numbers() {
        let mut r = LineReader::new(LogFormat::ZeekTsv, today());
        assert_eq!(r.read("#separator \\x09"), Record::Other);
        assert_eq!(
            r.read("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"),
            Record::Other
        );
        let Record::Connection(c) = r.read("1764835200.5\tC1\t10.20.0.10\t8\t10.1.10.11\t0\ticmp")
        else {
            panic!()
        };
        assert_eq!(
            (c.proto, c.icmp_type, c.date),
            (1, Some(8), Date::parse("2025-12-04"))
        );
        assert!(
            matches!(r.read("1.0\tC1\t10.20.0.10"), Record::Malformed(m) if m.contains("3 fields"))
        );
        let j = r#"{"ts":"2026-12-04T08:00:00.000Z","uid":"C2","id.orig_h":"10.20.0.10","id.orig_p":50000,"id.resp_h":"10.1.10.11","id.resp_p":502,"proto":"tcp"}"#;
        assert_eq!(detect(j), Some(LogFormat::ZeekJson));
        let c = conn(LogFormat::ZeekJson, j);
        assert_eq!(
            (c.proto, c.dport, c.date),
            (6, Some(502), Date::parse("2026-12-04"))
        );
    }
}
