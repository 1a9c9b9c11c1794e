//! The built-in service catalogue: OT and IT services with their well-known
//! ports, as confirmed in the project's domain research. A user `service`
//! declaration with the same name replaces an entry (with a warning).

use super::service::{PortSet, ServiceSet};

/// One built-in service.
#[derive(Clone, Debug)]
pub struct BuiltinService {
    /// The name users write (`modbus`).
    pub name: &'static str,
    /// The specs, in the language's own notation (`tcp/502`).
    pub specs: &'static [&'static str],
    /// What it is.
    pub description: &'static str,
    /// Interactive remote access (RDP, VNC, SSH): drives the remote-access lint.
    pub remote_access: bool,
}

macro_rules! catalogue {
    ($( $name:literal => [$($spec:literal),+], $desc:literal $(, $remote:ident)? ;)*) => {
        /// Every built-in service, sorted by name.
        pub const CATALOGUE: &[BuiltinService] = &[
            $(BuiltinService { name: $name, specs: &[$($spec),+], description: $desc, remote_access: catalogue!(@r $($remote)?) },)*
        ];
    };
    (@r remote) => { true };
    (@r) => { false };
}

catalogue! {
    "bacnet" => ["udp/47808"], "BACnet/IP building automation";
    "bgp" => ["tcp/179"], "Border Gateway Protocol (routing peers)";
    "codesys" => ["tcp/11740", "tcp/1217", "tcp/1200"], "CODESYS V3 runtime, V3 gateway and V2 runtime";
    "dhcp" => ["udp/67"], "DHCP to a server or relay agent";
    "dnp3" => ["tcp/20000", "udp/20000"], "DNP3 (IEEE 1815)";
    "dnp3-tls" => ["tcp/19999"], "DNP3 over TLS (community-assigned port)";
    "dns" => ["udp/53", "tcp/53"], "Domain Name System";
    "enip" => ["tcp/44818", "udp/44818", "udp/2222"], "EtherNet/IP (CIP explicit and implicit I/O)";
    "fins" => ["udp/9600", "tcp/9600"], "Omron FINS";
    "fox" => ["tcp/1911"], "Niagara Fox";
    "fox-tls" => ["tcp/4911"], "Niagara Fox over TLS";
    "hart-ip" => ["tcp/5094", "udp/5094"], "HART-IP";
    "http" => ["tcp/80"], "HTTP";
    "https" => ["tcp/443"], "HTTPS";
    "iccp" => ["tcp/102"], "ICCP / TASE.2 (shares tcp/102 with MMS and S7)";
    "iec104" => ["tcp/2404"], "IEC 60870-5-104";
    "iec104-tls" => ["tcp/19998"], "IEC 60870-5-104 over TLS (IEC 62351-3, community-assigned port)";
    "kerberos" => ["tcp/88", "udp/88"], "Kerberos";
    "ldap" => ["tcp/389"], "LDAP";
    "ldaps" => ["tcp/636"], "LDAP over TLS";
    "melsec" => ["tcp/5007", "udp/5006"], "Mitsubishi MELSEC MC protocol (Q series defaults)";
    "mms" => ["tcp/102"], "IEC 61850 MMS (ISO-TSAP; shares tcp/102 with S7 and ICCP)";
    "mms-tls" => ["tcp/3782"], "IEC 61850 MMS over TLS";
    "modbus" => ["tcp/502"], "Modbus/TCP";
    "modbus-tls" => ["tcp/802"], "Modbus/TCP Security (TLS)";
    "mqtt" => ["tcp/1883"], "MQTT";
    "mqtts" => ["tcp/8883"], "MQTT over TLS";
    "ntp" => ["udp/123"], "Network Time Protocol";
    "opcua" => ["tcp/4840"], "OPC UA binary";
    "opcua-tls" => ["tcp/4843"], "OPC UA over TLS";
    "ospf" => ["ip/89"], "OSPF routing (IP protocol 89)";
    "pi" => ["tcp/5450"], "AVEVA (OSIsoft) PI Data Archive";
    "pi-af" => ["tcp/5457"], "AVEVA (OSIsoft) PI Asset Framework";
    "ping" => ["icmp/echo-request"], "ICMP echo (IPv4)";
    "ping6" => ["icmpv6/echo-request"], "ICMPv6 echo";
    "ptp" => ["udp/319", "udp/320"], "Precision Time Protocol over UDP (event and general)";
    "rdp" => ["tcp/3389"], "Remote Desktop Protocol", remote;
    "s7" => ["tcp/102"], "Siemens S7comm (ISO-TSAP; shares tcp/102 with MMS and ICCP)";
    "smb" => ["tcp/445"], "SMB file sharing";
    "snmp" => ["udp/161"], "SNMP queries";
    "snmp-trap" => ["udp/162"], "SNMP traps";
    "srtp" => ["tcp/18245"], "GE SRTP (PACSystems)";
    "ssh" => ["tcp/22"], "Secure Shell", remote;
    "suitelink" => ["tcp/5413"], "AVEVA (Wonderware) SuiteLink";
    "syslog" => ["udp/514"], "Syslog";
    "syslog-tls" => ["tcp/6514"], "Syslog over TLS (RFC 5425)";
    "vnc" => ["tcp/5900"], "VNC (RFB)", remote;
}

/// Looks a built-in service up by name (case-insensitive).
pub fn builtin(name: &str) -> Option<&'static BuiltinService> {
    CATALOGUE.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

impl BuiltinService {
    /// The service as a flattened set.
    pub fn service_set(&self) -> ServiceSet {
        let mut set = ServiceSet::new();
        for spec in self.specs {
            let Some((proto, rest)) = spec.split_once('/') else {
                continue;
            };
            match proto {
                "tcp" | "udp" => {
                    if let Ok(p) = rest.parse::<u16>() {
                        let ports = PortSet::single(p);
                        if proto == "tcp" {
                            set.tcp = set.tcp.union(&ports);
                        } else {
                            set.udp = set.udp.union(&ports);
                        }
                    }
                }
                "icmp" => {
                    if let Some(t) = super::service::icmp_type_by_name(rest, false) {
                        set.icmp.insert(t);
                    }
                }
                "icmpv6" => {
                    if let Some(t) = super::service::icmp_type_by_name(rest, true) {
                        set.icmpv6.insert(t);
                    }
                }
                "ip" => {
                    if let Ok(n) = rest.parse::<u8>() {
                        set.ip.insert(n);
                    }
                }
                _ => {}
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_unique() {
        for w in CATALOGUE.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn language_md_ports() {
        let expect = [
            ("modbus", "tcp/502"),
            ("dnp3", "tcp/20000, udp/20000"),
            ("iec104", "tcp/2404"),
            ("mms", "tcp/102"),
            ("s7", "tcp/102"),
            ("opcua", "tcp/4840"),
            ("enip", "tcp/44818, udp/2222, udp/44818"),
            ("bacnet", "udp/47808"),
            ("hart-ip", "tcp/5094, udp/5094"),
            ("mqtt", "tcp/1883"),
            ("mqtts", "tcp/8883"),
            ("fox", "tcp/1911"),
            ("pi", "tcp/5450"),
            ("ssh", "tcp/22"),
            ("rdp", "tcp/3389"),
            ("vnc", "tcp/5900"),
            ("https", "tcp/443"),
            ("http", "tcp/80"),
            ("dns", "tcp/53, udp/53"),
            ("ntp", "udp/123"),
            ("syslog", "udp/514"),
            ("snmp", "udp/161"),
            ("ldap", "tcp/389"),
            ("ldaps", "tcp/636"),
            ("kerberos", "tcp/88, udp/88"),
            ("smb", "tcp/445"),
            ("ping", "icmp/echo-request"),
            ("ping6", "icmpv6/echo-request"),
            ("ospf", "ip/89"),
            ("bgp", "tcp/179"),
            ("dhcp", "udp/67"),
        ];
        for (name, specs) in expect {
            let s = builtin(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(s.service_set().to_string(), specs, "{name}");
        }
    }
}
