//! The code table: every diagnostic `conduitc` can report, with its stable
//! code, severity, slug, one-line title and explanation.
//!
//! Codes are a letter and three digits, numbered in blocks by stage:
//! `E0xx` input and limits, `E1xx` syntax and literal values, `E2xx` names
//! and references, `E3xx` addresses and zones, `E4xx` services, `E5xx`
//! conduits and flows, `E6xx` firewalls, approvals and isolation, `E7xx`
//! waivers, `E8xx` the command line, targets and output (reported by the
//! command, not by `check`), `E999` internal errors, `W1xx` warnings. A code is never reused
//! or renumbered. `docs/diagnostics.md` is generated from this table.

use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is rejected.
    Error,
    /// The policy builds; the finding deserves a look (and can be waived).
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($(
        $variant:ident = $code:literal, $sev:ident, $slug:literal,
        title: $title:literal,
        explain: $explain:literal,
        fix: $fix:literal;
    )*) => {
        /// A diagnostic code. Each variant's doc is its title.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in table order (by code).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, e.g. `E101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }
            /// Error or warning.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
            /// The kebab-case name, e.g. `syntax-error` (SARIF `name`).
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }
            /// What it means, in one line.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
            /// Why it matters (markdown).
            pub fn explain(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }
            /// How to fix it (markdown).
            pub fn fix(self) -> &'static str {
                match self { $(Code::$variant => $fix,)* }
            }
        }
    };
}

codes! {
    InvalidUtf8 = "E001", Error, "invalid-utf8",
        title: "a policy file is not valid UTF-8",
        explain: "Policy files are UTF-8 text. A file in another encoding (Latin-1, UTF-16) or a binary file picked up by mistake cannot be read reliably, so it is rejected rather than guessed at. The message gives the byte offset of the first invalid sequence.",
        fix: "Save the file as UTF-8, or remove the stray file from the policy directory.";
    NulByte = "E002", Error, "nul-byte",
        title: "a policy file contains a NUL byte",
        explain: "A NUL byte never belongs in policy text; it usually means a binary or corrupted file. It is rejected so that nothing downstream has to handle it.",
        fix: "Remove the NUL byte, or the file if it is not a policy.";
    FileTooLarge = "E003", Error, "file-too-large",
        title: "a policy file is larger than the file size limit (64 MiB by default)",
        explain: "Each policy file may be at most 64 MiB unless `--max-file-bytes` sets another limit (at most 4 GiB - 1). The limit bounds the time and memory one file can cost while it is parsed; a 100,000-flow policy is about 18 MiB.",
        fix: "Split the policy into several files in one directory, or check that the path points at the policy and not at a log or an archive; for a policy that is really this large, raise the limit with `--max-file-bytes`.";
    EmptyPolicy = "E004", Error, "empty-policy",
        title: "the policy declares no zone, or a directory holds no `.conduit` file",
        explain: "A policy without zones admits nothing, which is almost always a pipeline pointed at the wrong place: an empty file, a file of comments, or a directory without `.conduit` files. It is an error so that such a build fails instead of installing an empty rule set.",
        fix: "Point `conduitc` at the policy files, or declare the zones.";
    PolicyTooLarge = "E005", Error, "policy-too-large",
        title: "the policy's files together are larger than the policy size limit (256 MiB by default)",
        explain: "All files of one policy together may be at most 256 MiB unless `--max-policy-bytes` sets another limit. The limit bounds the memory and time a policy can cost; the file that crosses it is not read further, nor are the files after it.",
        fix: "Check that the paths point at the policy only (not at a directory of logs or archives); for a policy that is really this large, raise the limit with `--max-policy-bytes`.";
    TooManyDeclarations = "E006", Error, "too-many-declarations",
        title: "the policy has more declarations than the limit (1,000,000 by default)",
        explain: "Top-level declarations and flows together are limited to 1,000,000 per policy unless `--max-declarations` sets another limit, which bounds the cost of checking and compiling it. The policy is not checked further.",
        fix: "Merge flows that share their endpoints and services, split the plant into several policies, or raise the limit with `--max-declarations`.";
    ListTooLong = "E007", Error, "list-too-long",
        title: "a list has more than 10,000 items",
        explain: "A comma-separated list (`networks`, the addresses of a `host`, the members of a `group`, `zones`, `from`, `to`, `service`, `scope`, `requires`, `sever`, or a `service` declaration) holds at most 10,000 items.",
        fix: "Summarise the list with prefixes or groups, or split it over several groups or flows.";
    ZoneTooLarge = "E008", Error, "zone-too-large",
        title: "a zone declares more than 100,000 hosts and groups",
        explain: "A zone holds at most 100,000 hosts and groups together, which bounds the cost of checking it.",
        fix: "Describe address ranges with a `group` of prefixes instead of one host per address, or split the zone.";
    ServiceTooDeep = "E009", Error, "service-too-deep",
        title: "services are composed more than 32 levels deep",
        explain: "A service made only of specs and built-in services has depth 1; a service that names it has depth 2, and so on. Composition is limited to 32 levels; the service that first goes deeper is reported.",
        fix: "List the specs or built-in services directly instead of naming services that name services.";
    LinkOutsideDirectory = "E010", Error, "link-outside-directory",
        title: "a symbolic link in a policy directory points outside that directory",
        explain: "A policy directory is read as a unit, often straight from a pull request. A `.conduit` link that leaves the directory (to `/proc/self/environ`, a key file, or another checkout) would make the build read, and its diagnostics quote, a file nobody reviewed as policy. Such a link is refused without being opened; the message names the link and its target, never the target's content. Links to files inside the directory are read as usual.",
        fix: "Replace the link with the file itself, or point it at a file inside the directory. To use a file elsewhere, name it on the command line.";
    SpecialFile = "E011", Error, "special-file",
        title: "a policy directory holds a `.conduit` entry that is not a regular file",
        explain: "A FIFO, socket or device named `*.conduit` in a policy directory is refused without being opened: reading a FIFO blocks until something writes to it, and reading a device can have side effects or never end.",
        fix: "Remove the entry, or replace it with a regular file.";
    PolicyExpandsTooFar = "E012", Error, "policy-expands-too-far",
        title: "the flows expand to more than 10,000,000 address and port ranges",
        explain: "Each flow is checked with its services and its sources and destinations expanded into ranges of ports and addresses. Flows that name the same service, group or zone, or that end up with equal sets, share one copy, so only distinct sets count. Together they may hold at most 10,000,000 ranges, which bounds the memory checking takes. The flow that crosses the limit is reported, and the policy is not checked further.",
        fix: "Name fewer distinct combinations: let flows name the same service or group instead of each adding its own ports or addresses to a large one, or describe addresses and ports with broader prefixes and ranges.";
    Syntax = "E101", Error, "syntax-error",
        title: "the text does not follow the grammar",
        explain: "The parser stopped where the text stopped making sense and says what it expected there. Only the first syntax error of a file is reported, and the policy is not checked further while any file has one, so that a half-read policy does not cause misleading errors.",
        fix: "Correct the text at the marked position. Attributes are `keyword value` on their own, lists are separated by commas, and blocks are closed with `}`; no `;` is needed.";
    UnterminatedString = "E102", Error, "unterminated-string",
        title: "a string has no closing quote on its line",
        explain: "Strings are written on one line between double quotes. A missing closing quote would otherwise swallow the rest of the file.",
        fix: "Add the closing `\"`. Write a quote inside a string as `\\\"` and a backslash as `\\\\`.";
    InvalidLevel = "E103", Error, "invalid-level",
        title: "a Purdue level is not one of 0, 1, 2, 3, 3.5, 4 or 5",
        explain: "Zones sit on a level of the Purdue model; the lints about skipping the DMZ and remote access depend on it. Only the seven levels of the model are accepted.",
        fix: "Use 0, 1, 2, 3, 3.5 (the IT/OT DMZ), 4 or 5.";
    InvalidSecurityLevel = "E104", Error, "invalid-security-level",
        title: "a security level (`sl`) is not 1, 2, 3 or 4",
        explain: "IEC 62443 target security levels run from SL 1 to SL 4.",
        fix: "Write `sl 1`, `sl 2`, `sl 3` or `sl 4`, or leave `sl` out.";
    InvalidDate = "E105", Error, "invalid-date",
        title: "a date is not a real calendar date written `YYYY-MM-DD`",
        explain: "Expiry dates decide when a flow stops being built, so they must be unambiguous.",
        fix: "Write the date as `YYYY-MM-DD`, for example `2027-06-30`.";
    InvalidAddress = "E106", Error, "invalid-address",
        title: "an address or prefix cannot be read",
        explain: "Networks, hosts and groups take IPv4 or IPv6 addresses and prefixes (`10.0.0.0/24`, `2001:db8::/64`). A host takes addresses only, without a prefix length.",
        fix: "Correct the address, or the prefix length (at most 32 for IPv4 and 128 for IPv6).";
    HostBitsSet = "E107", Error, "host-bits-set",
        title: "a prefix has host bits set",
        explain: "`10.0.0.1/24` is ambiguous: it might mean the network `10.0.0.0/24` or a mistyped host. The compiler refuses to guess, since a guess either way changes what the firewall admits.",
        fix: "Write the network form that the help suggests, or the host address without a prefix length.";
    InvalidString = "E108", Error, "invalid-string",
        title: "a string holds a control character, a line separator, a bidirectional control, a zero-width character or an unknown escape",
        explain: "Strings (reasons, descriptions, interface names) end up in firewall comments and reports. Control characters, bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C) and zero-width characters (U+200B to U+200D, U+2060, U+FEFF) can hide or reorder text for a reviewer or break out of a comment, so they are refused. The only escapes are `\\\"` and `\\\\`.",
        fix: "Remove the character, or write it as plain text.";
    StringTooLong = "E109", Error, "string-too-long",
        title: "a string is longer than 255 characters",
        explain: "Strings reach firewall comments and remarks, which have length limits of their own.",
        fix: "Shorten the text; put long justifications in the change ticket and refer to it.";
    NameTooLong = "E110", Error, "name-too-long",
        title: "a name is longer than 48 characters",
        explain: "Names are limited to 48 characters so that a flow's full name `conduit/flow` fits a Cisco ACL remark.",
        fix: "Choose a shorter name.";
    MissingAttribute = "E111", Error, "missing-attribute",
        title: "a required attribute is missing",
        explain: "Some attributes are required: owner `contact`; zone `level`, `owner` and `networks`; conduit `zones` and `owner`; flow `from`, `to`, `service` and `reason`; firewall `platform` and at least one `interface`; approval `scope` and `requires`; isolation `sever` and `reason`. They carry accountability and meaning that cannot be defaulted.",
        fix: "Add the attribute to the block.";
    DuplicateAttribute = "E112", Error, "duplicate-attribute",
        title: "an attribute is given twice in one block",
        explain: "Which of two values would apply is unclear, so neither is taken. Lists are written in one attribute: `from a, b`, not two `from` lines.",
        fix: "Keep one of them; merge lists into one attribute.";
    LoneCarriageReturn = "E113", Error, "lone-carriage-return",
        title: "a carriage return is not followed by a line feed",
        explain: "Lines end with `\\n` or `\\r\\n`. A carriage return on its own moves a terminal's cursor back to the start of the line, so `cat`, `git diff` and review tools show text after it over text before it: a `# comment` line could hide a flow. It is refused anywhere in a file, in comments and strings too, instead of being read as a line break or as part of a comment.",
        fix: "Remove the carriage return, or end the line with `\\n` (or `\\r\\n`). `conduitc fmt` does not repair it; most editors show it as `^M`.";
    InvisibleCharacter = "E114", Error, "invisible-character",
        title: "a bidirectional control or zero-width character is outside a string or comment",
        explain: "Bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C) reorder how text is displayed, and zero-width characters (U+200B to U+200D, U+2060, U+FEFF) are not displayed at all, so code containing them can read differently to a reviewer than to the compiler (\"Trojan Source\"). Names and keywords are plain ASCII; such a character outside strings and comments is refused wherever it is.",
        fix: "Delete the character; it is often picked up by copying text from a web page or a document. Editors show it with a visible-whitespace or \"show invisibles\" setting.";
    UnknownPlatform = "E115", Error, "unknown-platform",
        title: "a firewall names a platform that `conduitc` does not know",
        explain: "`platform` names what the firewall runs, which decides the target `build` writes for it and the limits `check` applies (interface names, protocol numbers, list sizes). The known platforms are `nftables`, `cisco-ios` and `fortios`, written in lower case; any other word is rejected rather than guessed at.",
        fix: "Write one of the known platforms; the help names the closest one.";
    DuplicateName = "E201", Error, "duplicate-name",
        title: "a name is declared twice",
        explain: "Names are unique per kind of declaration (owners, services, zones, conduits, firewalls, approvals, isolation modes), per conduit for flows and per zone for hosts and groups; a host and a group of one zone may not share a name. Names are compared without regard to case, so `PLC-1` and `plc-1` clash.",
        fix: "Rename or remove one of the declarations.";
    UnknownName = "E202", Error, "unknown-name",
        title: "a name refers to nothing declared",
        explain: "Every owner, service, zone, host, group, conduit and zone reference must resolve. A typo here would otherwise silently drop access or accountability.",
        fix: "Correct the name (the help suggests a close match when there is one), or declare it.";
    OverlappingNetworks = "E301", Error, "overlapping-networks",
        title: "the networks of two zones overlap",
        explain: "Every address belongs to at most one zone; the firewall's anti-spoofing and every rule depend on it.",
        fix: "Split the prefixes so that each address lies in one zone.";
    MultipleAnyZones = "E302", Error, "multiple-any-zones",
        title: "more than one zone says `networks any`",
        explain: "`networks any` means every address no other zone claims. Two zones cannot both own the rest.",
        fix: "Keep `networks any` on one zone (typically `internet`) and give the other explicit prefixes.";
    OutsideZone = "E303", Error, "address-outside-zone",
        title: "a host address or group prefix lies outside its zone's networks",
        explain: "A host or group belongs to its zone; an address outside the zone's networks would either be unreachable through the zone's interface or belong to another zone.",
        fix: "Correct the address, or add the prefix to the zone's `networks`.";
    AnyWithPrefixes = "E304", Error, "any-with-prefixes",
        title: "`networks any` is combined with prefixes",
        explain: "`any` already means every address no other zone claims; listing prefixes beside it is contradictory.",
        fix: "Write either `networks any` or a list of prefixes.";
    InvalidPort = "E401", Error, "invalid-port",
        title: "a port is not a number from 1 to 65535",
        explain: "Services name destination ports 1-65535. Port 0 is not a real destination.",
        fix: "Write a port from 1 to 65535, or a range `A-B`.";
    ReversedPortRange = "E402", Error, "reversed-port-range",
        title: "a port range starts above its end",
        explain: "A range `A-B` needs `A <= B`; a reversed range would match nothing.",
        fix: "Swap the bounds.";
    UnknownIcmpType = "E403", Error, "unknown-icmp-type",
        title: "an ICMP type is not a number 0-255 or a known name",
        explain: "ICMP types are numbers 0-255 or one of the names language.md lists for `icmp` and `icmpv6` (they differ: ICMPv6 echo-request is 128).",
        fix: "Use a number or one of the listed names for that protocol.";
    IcmpErrorType = "E404", Error, "icmp-error-type",
        title: "an ICMP error type is declared as a service",
        explain: "Error messages (destination-unreachable, redirect, time-exceeded, parameter-problem, packet-too-big) that belong to a permitted connection are admitted as part of it, and unsolicited ones never should be. Allowing them as a service would let anyone send them.",
        fix: "Remove the service; the firewall already passes errors related to permitted connections.";
    InvalidIpProtocol = "E405", Error, "invalid-ip-protocol",
        title: "`ip/N` is out of range or names ICMP, TCP, UDP or ICMPv6",
        explain: "`ip/N` takes protocol numbers 0-255 except 1, 6, 17 and 58, which have their own, more precise specs.",
        fix: "Use `icmp/TYPE`, `tcp/1-65535`, `udp/1-65535` or `icmpv6/TYPE` instead of `ip/1`, `ip/6`, `ip/17` or `ip/58`.";
    ServiceCycle = "E406", Error, "service-cycle",
        title: "services refer to each other in a cycle",
        explain: "A service composed of itself, directly or through others, has no meaning.",
        fix: "Break the cycle: list the specs in one of the services instead of the name.";
    UnknownProtocol = "E407", Error, "unknown-protocol",
        title: "a service spec names an unknown protocol",
        explain: "A spec is `tcp/PORTS`, `udp/PORTS`, `icmp/TYPE`, `icmpv6/TYPE` or `ip/NUMBER`.",
        fix: "Use one of those protocols, or `ip/N` for another IP protocol.";
    ConduitZones = "E501", Error, "conduit-zones",
        title: "a conduit does not join exactly two distinct zones",
        explain: "A conduit is the path between two zones; flows inside it run from one to the other.",
        fix: "List exactly two different zones: `zones a, b`. Declare one conduit per pair of zones.";
    EndpointOutsideConduit = "E502", Error, "endpoint-outside-conduit",
        title: "a flow endpoint lies in a zone the conduit does not join",
        explain: "Flows belong to their conduit: every endpoint must lie in one of the conduit's two zones, or the conduit's owner and security level would not cover it.",
        fix: "Move the flow to the conduit between the right zones, or correct the endpoint.";
    FlowDirection = "E503", Error, "flow-direction",
        title: "a flow's `from` and `to` are not one in each of the conduit's zones",
        explain: "All `from` endpoints of a flow lie in one of the conduit's zones and all `to` endpoints in the other; traffic inside one zone does not cross the conduit.",
        fix: "Split the flow into one flow per direction, or correct the endpoints.";
    FlowNeverMatches = "E504", Error, "flow-never-matches",
        title: "a flow can never match a packet",
        explain: "A packet has a source and a destination of one address family. A flow whose sources are IPv4-only and destinations IPv6-only (or the reverse), or whose only services are ICMP for a family its endpoints do not share, admits nothing, which is almost always a mistake in the addresses or services.",
        fix: "Give the endpoints a common address family, or use `icmpv6` for IPv6 endpoints and `icmp` for IPv4 ones.";
    ExpiredFlow = "E505", Error, "expired-flow",
        title: "a flow's `expires` date has passed",
        explain: "Temporary access must not outlive its justification. A flow is in force through its expiry date; from the next day the build fails until the flow is renewed or removed, so nobody is surprised by access silently disappearing or staying. The date is judged against `--today`, or the current date.",
        fix: "Remove the flow, or move `expires` to a later date with a fresh justification.";
    InvalidInterfaceName = "E601", Error, "invalid-interface-name",
        title: "a firewall interface name is not valid for its platform",
        explain: "Interface names reach the firewall configuration verbatim, so they are checked here, with the limits the build applies, and never escaped: 1-64 characters of `A-Z a-z 0-9 . _ / : -`; on `nftables` at most 15 characters without `/` or `:` (Linux interface names); on `fortios` at most 15 characters (FortiOS interface names); on `cisco-ios` spaces are also allowed between the interface type and its number (`GigabitEthernet 0/1`).",
        fix: "Use the interface's name as the device shows it.";
    DuplicateInterfaceZone = "E602", Error, "duplicate-interface-zone",
        title: "a firewall has two interfaces for one zone",
        explain: "Each zone faces a firewall on one interface; the interface tells the firewall which zone a packet came from.",
        fix: "Keep one interface per zone, or split the zone.";
    EssentialFlowSevered = "E603", Error, "essential-flow-severed",
        title: "an isolation mode severs a zone an essential flow needs",
        explain: "An `essential` flow is one safe operation depends on. An isolation mode that cuts one of its zones off would stop it exactly when the plant runs as an island.",
        fix: "Keep the zone out of the isolation mode's `sever` list, or reconsider whether the flow is essential.";
    DuplicateInterfaceName = "E604", Error, "duplicate-interface-name",
        title: "a firewall declares the same interface twice",
        explain: "An interface faces one zone. On a `cisco-ios` firewall, names are compared as IOS reads them: case-insensitively, with spaces between type and number ignored and abbreviations expanded (`Gi0/1`, `gi 0/1` and `GigabitEthernet0/1` are one interface; the table is in docs/language.md).",
        fix: "Remove one of the declarations.";
    ProtocolNotExpressible = "E605", Error, "protocol-not-expressible",
        title: "a flow crossing a firewall uses an `ip/N` its platform cannot express",
        explain: "Some protocol numbers have no exact form on a platform: Cisco IOS reads protocol 0 as every protocol, and FortiOS reads protocol number 0 as every protocol and accepts 0-254 only. A `cisco-ios` firewall therefore cannot admit exactly `ip/0`, nor a `fortios` firewall `ip/0` or `ip/255`. The error is reported for every flow of a conduit the firewall compiles (both zones face one of its interfaces), at the service that brings the protocol in; a build for that target without a firewall refuses the policy with the same code.",
        fix: "Remove the protocol from the flow, or route the flow through a firewall whose platform can express it (`nftables` expresses every protocol number).";
    IosAclTooLarge = "E606", Error, "ios-acl-too-large",
        title: "a Cisco IOS access list would exceed its entry budget",
        explain: "The `cisco-ios` target writes one entry per source prefix, destination prefix and port range (and as many for the replies), so a flow between many scattered hosts on many ports multiplies into a list no device holds. Each list is limited to 4,096 entries (docs/limits.md). `check` counts the lists of every `cisco-ios` firewall for the flows in force and reports the first list over the budget, on the firewall, with the flows that contribute most; a build for the `cisco-ios` target without a firewall counts its lists before writing anything and fails with the same code, writing nothing.",
        fix: "Give the flows fewer, larger address blocks (hosts in one prefix, a `group` of prefixes), fewer port ranges (merge adjacent ports into a range), or split the zone so its traffic is filtered by several lists.";
    InvalidAclBudget = "E607", Error, "invalid-acl-budget",
        title: "`acl-budget` is out of range or on a firewall that is not `cisco-ios`",
        explain: "`acl-budget N` sets the number of entries per access list above which a `cisco-ios` firewall gets `W115`. It must be a whole number from 1 to 4,096 (`MAX_IOS_ACL_ENTRIES`: over that, a list is refused by `E606` anyway), and only `cisco-ios` firewalls have such lists; on another platform the attribute would silently do nothing.",
        fix: "Give a number from 1 to 4096, or remove `acl-budget` from a firewall whose platform is not `cisco-ios`.";
    LocalSourceNotFaced = "E608", Error, "local-source-not-faced",
        title: "a `manage` or `control` entry names a source in a zone the firewall has no interface for",
        explain: "Traffic to a firewall arrives on the interface facing the zone it comes from, and every target filters it there (nftables by `iifname`, Cisco IOS in that interface's inbound list, FortiOS by `intf`). A source in a zone the firewall does not face would reach it through another device, which the policy does not describe, so the entry could not be written for it.",
        fix: "Name sources in zones the firewall has an `interface` for, or add the interface.";
    LocalAddressRequired = "E609", Error, "local-address-required",
        title: "a `cisco-ios` firewall with `manage` or `control` entries has an interface without an `address`",
        explain: "Cisco IOS inbound access lists filter traffic to the router itself as well as traffic through it. The `cisco-ios` target writes permits for router-bound traffic to the router's own addresses (`permit tcp host 10.20.0.5 host 10.20.0.1 eq 22`), so that they cannot admit transit traffic; without the addresses it cannot. Every interface of such a firewall needs `address`. nftables (the `input` hook sees only traffic to the host) and FortiOS (`local-in-policy`) need none.",
        fix: "Add `address A, ...` to the interface: the router's own addresses on it.";
    LocalAddressOutsideZone = "E610", Error, "local-address-outside-zone",
        title: "a firewall interface address lies outside the networks of the zone it faces",
        explain: "An interface's `address` is the firewall's own address in the zone it faces, so it lies in that zone's networks. Outside them, a packet to the address would belong to another zone (or to none), and `query`, `paths` and the router-bound permits of the `cisco-ios` target would disagree about where it goes.",
        fix: "Correct the address, or the zone's `networks`.";
    DuplicateLocalAddress = "E611", Error, "duplicate-local-address",
        title: "an address is given to two firewall interfaces",
        explain: "An own address of a firewall belongs to one interface of one firewall; `query` and `paths` find the firewall a packet is addressed to by it.",
        fix: "Give each interface its own addresses.";
    UnknownWaiverCode = "E701", Error, "unknown-waiver-code",
        title: "`waive` names no known diagnostic code",
        explain: "A waiver that names nothing would silently do nothing.",
        fix: "Use a warning code (`W101`...) or its name (`purdue-skip`...) as listed in docs/diagnostics.md.";
    ErrorWaived = "E702", Error, "error-waived",
        title: "`waive` names an error, which cannot be waived",
        explain: "Only warnings can be accepted on purpose; errors make the policy wrong or unbuildable.",
        fix: "Fix the error instead of waiving it.";
    InvalidArguments = "E801", Error, "invalid-arguments",
        title: "the command line cannot be read",
        explain: "The arguments do not form a command `conduitc` knows: an unknown subcommand or option, an option without its value, a missing policy path, or an argument where none belongs. Nothing is read or written. The exit status is 2.",
        fix: "Correct the command line; `conduitc --help` and `conduitc COMMAND --help` list the commands and options.";
    ConflictingArguments = "E802", Error, "conflicting-arguments",
        title: "two options that exclude each other are given together",
        explain: "Some options choose between ways of working and cannot be combined: `build --target` prints one configuration while `build --out` writes a directory, and `--firewall` selects a firewall for `--target` only. Nothing is read or written. The exit status is 2.",
        fix: "Keep one of the options.";
    InvalidArgumentValue = "E803", Error, "invalid-argument-value",
        title: "an option's value is not one it accepts",
        explain: "An option was given a value it cannot take: a `--today` that is not a real calendar date written `YYYY-MM-DD`, a `--target` that names no target, a `--format` that names no format. Nothing is read or written. The exit status is 2.",
        fix: "Use one of the values the message lists, or a date such as `2026-12-01`.";
    UnknownFirewall = "E804", Error, "unknown-firewall",
        title: "`--firewall` names no firewall of the policy",
        explain: "`build --firewall NAME` compiles what crosses one declared firewall. A name the policy does not declare is refused rather than compiled as if no firewall were given; the message lists the declared firewalls and suggests the closest. Names compare case-insensitively. The exit status is 2.",
        fix: "Use one of the declared names, or declare the firewall.";
    UnknownIsolationMode = "E805", Error, "unknown-isolation-mode",
        title: "`--isolation` names no isolation mode of the policy",
        explain: "`--isolation MODE` builds the policy as it stands in a declared isolation mode. A name the policy does not declare is refused rather than built as if no mode were given, which would install the connected plant's rules on an islanded one; the message lists the declared modes and suggests the closest. The exit status is 2.",
        fix: "Use one of the declared names, or declare the isolation mode.";
    TargetContradictsPlatform = "E806", Error, "target-contradicts-platform",
        title: "`--target` is not the platform of the `--firewall` it builds",
        explain: "A firewall declares its `platform`; configuration for another platform would not load on it, or would mean something else there. `platform nftables` accepts `--target nftables` and `--target nftables-json`; `cisco-ios` and `fortios` accept their own target only. The exit status is 2.",
        fix: "Build the firewall with the target the message names, or correct the firewall's `platform`.";
    NoFirewallToWrite = "E807", Error, "no-firewall-to-write",
        title: "`build --out` is given a policy that declares no firewall",
        explain: "`--out DIR` writes one file per declared firewall; without a firewall it would write an empty directory that a pipeline could take for a good build. Nothing is written. The exit status is 2.",
        fix: "Declare the firewalls, or build one configuration with `--target`.";
    FirewallNameNotFileName = "E808", Error, "firewall-name-not-file-name",
        title: "a firewall's name cannot name its file under `build --out`",
        explain: "`--out DIR` writes each firewall to `DIR/NAME.EXT`. A name that does not start with a letter, or holds a character other than a letter, digit, `-` or `_`, could leave the directory or clash on a case-insensitive file system, so the build is refused before anything is written. The exit status is 2.",
        fix: "Rename the firewall with letters, digits, `-` and `_`, starting with a letter.";
    SourceNameNotListable = "E809", Error, "source-name-not-listable",
        title: "a policy file's name cannot be listed in `manifest.json`",
        explain: "`manifest.json` lists each policy file with its SHA-256 exactly as `sha256sum` prints it. A name that is not UTF-8, or that holds a backslash or a line break (which `sha256sum` prints escaped), cannot be listed so, and the build is refused before anything is written. The exit status is 2.",
        fix: "Rename the file.";
    SourceChanged = "E810", Error, "source-changed",
        title: "a policy file changed while it was being built",
        explain: "`build --out` hashes each policy file as it is on disk for `manifest.json`. When the bytes differ from those that were checked, the manifest would describe a policy other than the one built, so the build is refused before anything is written. The exit status is 2.",
        fix: "Build again once the file is no longer being written.";
    TargetCannotExpress = "E811", Error, "target-cannot-express",
        title: "a target cannot express something the rule set needs",
        explain: "Each target has limits of its own beyond the protocol numbers of `E605` and the list budget of `E606`: for example the text a target holds in a comment, or the number of objects it can name. The message says what the target cannot express. Nothing is written. The exit status is 1: the policy checks, but this target cannot hold it.",
        fix: "Change the policy as the message suggests, or build for a target that can express it.";
    TargetRefusesName = "E812", Error, "target-refuses-name",
        title: "a target cannot hold a name of the policy",
        explain: "Names reach the target as object names and comments. A name too long for the target's limit, or with a character the target cannot hold, is refused rather than cut or altered, since a changed name could collide with another or mislead a reviewer. Nothing is written. The exit status is 1.",
        fix: "Choose a shorter name, or one of letters, digits, `-` and `_`.";
    OutputNotWritten = "E813", Error, "output-not-written",
        title: "the output could not be written",
        explain: "Writing the result failed: a full disk, an I/O error, a directory that cannot be created or replaced, a file that cannot be written. A closed pipe (the reader went away, as with `| head`) is not an error. `build --out` leaves the previous directory as it was. The exit status is 2, so a pipeline never takes an empty or cut-off result for a good one.",
        fix: "Free space, or correct the path or its permissions, and run again.";
    PathNotReadable = "E814", Error, "path-not-readable",
        title: "a path given on the command line cannot be read",
        explain: "A policy path (or a `git:REV:PATH` version) does not exist, cannot be read, or names a FIFO, socket or device, which is refused without being opened. Nothing is checked. The exit status is 2.",
        fix: "Correct the path, or its permissions.";
    ApprovalMissing = "E815", Error, "approval-missing",
        title: "`diff --require-approvals` finds a change whose approval is missing",
        explain: "A change that an `approval` rule covers needs the approval of the rule's owners. With `--require-approvals`, `diff` prints its report and then fails when an owner the change needs is not among `--approved-by`; the message names each missing owner with the rules that require it. The exit status is 1.",
        fix: "Obtain the approvals and name the owners with `--approved-by`, or change the policy so that it needs no approval.";
    PreviousUnreadable = "E816", Error, "previous-unreadable",
        title: "the configuration a transition starts from cannot be read",
        explain: "`build --from PREVIOUS` writes the script that takes a device from what it runs now to the new build, so it must understand PREVIOUS completely: a file conduitc built for the same target, an `--out` directory with its manifest.json, or the device's own configuration (`show running-config` on Cisco IOS, a configuration backup or `show full-configuration` on FortiOS). Text in another syntax, a list or object that conduitc would have to take over without having written it (an access list under another name bound to an interface of the firewall), or a conduitc object changed by hand is refused, with the line of PREVIOUS and the reason, rather than guessed at. Nothing is written. The exit status is 2.",
        fix: "Give the configuration the device runs now, for the firewall being built; move hand-made lists off the firewall's interfaces, or restore the conduitc objects that were edited by hand.";
    PreviousObjectInUse = "E817", Error, "previous-object-in-use",
        title: "a transition would delete an object that other configuration still uses",
        explain: "A transition deletes the objects conduitc owns that the new build no longer needs. When a policy or group outside conduitc's ownership (an operator's own policy) references one of them, deleting it would either fail on the device halfway through the script or change the operator's policy, so the transition is refused, naming the object and the line of PREVIOUS that references it. Nothing is written. The exit status is 2.",
        fix: "Make the operator's configuration reference its own objects instead of conduitc's (or remove the reference), then build the transition again.";
    TransitionNeedsFirewall = "E818", Error, "transition-needs-firewall",
        title: "`build --from` is given without a firewall to build",
        explain: "A transition binds access lists to interfaces and places policies between them, and the interfaces come from a declared firewall. Without `--firewall` (or with a `--target` whose build has no firewall) there is no device to take from one state to another. Nothing is read or written. The exit status is 2.",
        fix: "Add `--firewall NAME`, or use `build --out DIR --from OLD_DIR`, which builds every declared firewall.";
    TestSyntax = "E820", Error, "test-syntax-error",
        title: "an assertion file (`*.conduit-test`) does not parse",
        explain: "`conduitc test` reads assertions of the form `expect allow|deny SRC -> DST SERVICE`, `expect [no] path ZONE -> ZONE` and `expect flow CONDUIT/FLOW allows SRC -> DST SERVICE`, each optionally followed by `under isolation MODE` and `on DATE` (docs/cli.md, \"test\"). A file that does not follow this form, or that holds a value out of range (a port outside 1-65535, a date that does not exist, a port after a protocol other than tcp and udp, a qualifier given twice), is refused with the place and what was expected, and no assertion is run. The exit status is 2.",
        fix: "Correct the assertion at the place shown.";
    TestUnknownName = "E821", Error, "test-unknown-name",
        title: "an assertion names a zone, host, group, flow or isolation mode the policy does not declare",
        explain: "Every name in an assertion must resolve in the policy under test: a zone, `zone.host` or `zone.group` as an endpoint, a zone in `path`, `conduit/flow` after `expect flow`, a mode after `under isolation`. A name that does not resolve would make the assertion mean nothing, so it is refused with a suggestion of the nearest declared name, and no assertion is run. The exit status is 2.",
        fix: "Use the name as the policy declares it, or update the assertion after a rename.";
    TestNoAssertions = "E822", Error, "test-no-assertions",
        title: "`conduitc test` finds no assertion to run",
        explain: "A test run that checks nothing would pass silently, for example after a test file was moved away from the policy. `conduitc test` finds `*.conduit-test` files among its paths, in the directories given and beside the policy files given; when they hold no assertion at all, the run fails. The exit status is 2.",
        fix: "Give the assertion files (or the directory that holds them) on the command line, or write assertions.";
    TestEmptyBox = "E823", Error, "test-empty-box",
        title: "an assertion is about no packet at all",
        explain: "An assertion's source, destination and service describe a set of packets. When that set is empty (an ICMP assertion between IPv6 addresses, an ICMPv6 one between IPv4 addresses, a source of one family and a destination of the other, a group without addresses) the assertion would hold whatever the policy says, so it is refused instead of passing. The exit status is 2.",
        fix: "Use `icmp` for IPv4 and `icmpv6` for IPv6 endpoints, and endpoints of one family.";
    LogUnreadable = "E830", Error, "log-unreadable",
        title: "a log given to `observe` cannot be read",
        explain: "`observe --log FILE` reads the file line by line. A path that does not exist, cannot be opened, names a directory, or whose reading fails midway is refused, naming the path (and, for a failure midway, the line reached). Nothing is reported. The exit status is 2.",
        fix: "Correct the path or its permissions; give `-` to read standard input.";
    LogFormatUnknown = "E831", Error, "log-format-unknown",
        title: "no line of a log given to `observe` is in a format it reads",
        explain: "`observe` detects each log's format from its first line that shows one: the kernel log lines of conduitc's own nftables rules (`conduit drop `, `conduit monitor CONDUIT/* `, `conduit CONDUIT/FLOW `), Zeek `conn.log` (TSV with its `#fields` header, or JSON), Cisco IOS `%SEC-6-IPACCESSLOG*` and `%IPV6_ACL-6-ACCESSLOG*` messages, or FortiOS traffic logs (`type=\"traffic\"`). A file with text but no such line is refused rather than reported as traffic-free: it is most likely the wrong file. An empty file is read as no traffic. Nothing is reported. The exit status is 2.",
        fix: "Give the log the firewall or sensor writes; for the kernel log, make sure it covers a period in which conduitc's rules logged at least one line.";
    ConfigUnreadable = "E840", Error, "config-unreadable",
        title: "the device configuration given to `verify` cannot be read",
        explain: "`verify --config FILE` reads what a device runs now. A path that does not exist, cannot be opened, names a directory or is not UTF-8 text is refused, naming the path. Nothing is compared. The exit status is 2.",
        fix: "Correct the path or its permissions; give `-` to read standard input, for example `nft list ruleset | conduitc verify ... --config -`.";
    ConfigInvalid = "E841", Error, "config-invalid",
        title: "the device configuration holds something `verify` does not read",
        explain: "`verify` reads the device configuration strictly: for nftables, a statement, match, set type, chain type or verdict it does not model (for example `ct mark`, `meta mark`, an interface wildcard, a `limit` guarding a verdict, a `goto`), and text that is not nftables syntax (or, for `nft -j list ruleset` JSON, not its schema); for Cisco IOS, an access-list entry, object-group member or interface binding it does not understand, a reference to an object group not defined before it, a `no` command; for FortiOS, a line that is not `config`, `edit`, `set`, `unset`, `next` or `end`, or a policy naming an address or service that does not exist. It is refused with the line (for JSON, the object's position in the `nftables` array) and why, never skipped, since what is not read cannot be judged. Nothing is compared. The exit status is 2.",
        fix: "Give the output of `nft list ruleset` or `nft -j list ruleset`, `show running-config`, or the FortiOS configuration backup unchanged; when the device uses constructs verify does not model, they have to be judged by hand.";
    VerifyTargetUnsupported = "E842", Error, "verify-target-unsupported",
        title: "`verify` does not know this target",
        explain: "`verify --target` takes nftables, cisco-ios or fortios. Any other value is refused and nothing is compared. (Before Cisco IOS and FortiOS configurations were read, this code also refused those two targets.) The exit status is 2.",
        fix: "Use `--target nftables` for Linux firewalls, `cisco-ios` for IOS and IOS-XE routers and `fortios` for FortiGates.";
    ConfigUnmodelled = "E843", Error, "config-unmodelled",
        title: "the device configuration uses a feature `verify` does not model",
        explain: "A Cisco IOS or FortiOS configuration given to `verify` uses something that changes what the device admits and that verify does not model: on IOS the zone-based firewall or inspection, an entry with `time-range`, `reflect`, `evaluate`, `dynamic`, TCP flags, DSCP, precedence, TTL or an ICMP code, a deny on source ports, a non-contiguous wildcard; on FortiOS negated addresses or services, Internet services, users or groups, a schedule other than `always`, an `ipsec` action, an address group with `exclude`, an address type other than a subnet or range, a service with source ports, ICMP codes or SCTP ports, entries of the DoS, interface or security policy tables, or firewall policies in several VDOMs. It is refused with the line rather than judged partially. Nothing is compared. The exit status is 2.",
        fix: "Judge that part of the device by hand, or compare a configuration without it (for FortiOS with VDOMs, the configuration of the one VDOM).";
    VerifyFirewallRequired = "E844", Error, "verify-firewall-required",
        title: "`verify --target cisco-ios` is given no firewall",
        explain: "A Cisco IOS router filters with access lists bound to its interfaces, and which zone each interface faces is declared by a firewall of the policy. `verify --target cisco-ios` therefore compares the router with one firewall, named by `--firewall`; without it nothing is compared. The exit status is 2.",
        fix: "Add `--firewall NAME`, the firewall of the policy the router is.";
    LspProtocol = "E870", Error, "lsp-protocol",
        title: "the language server's client broke the protocol or the connection",
        explain: "`conduitc lsp` speaks the Language Server Protocol on standard input and output. A client that does not begin with `initialize`, sends a message that is not JSON-RPC with a `Content-Length` header, or closes the connection without `shutdown` and `exit` stops the server with this error on standard error. The exit status is 2.",
        fix: "Start `conduitc lsp` from an editor's language client (docs/editors.md), not by hand; check the client's log for what it sent.";
    Internal = "E999", Error, "internal-error",
        title: "an internal error in conduitc",
        explain: "The compiler reached a state it should not; this is a bug in conduitc, not in the policy.",
        fix: "Report it with the policy that triggers it.";
    PurdueSkip = "W101", Warning, "purdue-skip",
        title: "a flow joins level 4 or 5 directly to level 3 or below",
        explain: "The Purdue model puts an industrial DMZ (level 3.5) between the enterprise and the plant: connections from either side terminate there. A flow straight across skips it.",
        fix: "Terminate the connection on a host in a level 3.5 zone (a mirror, a jump host, a broker), or waive the warning with the reason.";
    RemoteAccess = "W102", Warning, "remote-access",
        title: "remote access into level 2 or below from outside a level 3.5 zone",
        explain: "Interactive remote access (RDP, VNC, SSH and user services marked `remote-access`) into the control levels should start on a jump host in the DMZ, where it can be authenticated and recorded.",
        fix: "Route the session through a jump host in a level 3.5 zone, or waive the warning with the reason.";
    ZoneToZone = "W103", Warning, "zone-to-zone",
        title: "a flow runs from a whole zone to a whole zone",
        explain: "Least privilege: a flow usually concerns particular hosts. Whole-zone flows grow silently as hosts are added.",
        fix: "Name the hosts or groups, or waive the warning when every host really needs the access.";
    ExpiringSoon = "W104", Warning, "expiring-soon",
        title: "a flow expires within 30 days",
        explain: "When it expires the build fails until the flow is renewed or removed; this is the early notice.",
        fix: "Renew it (move `expires`) or plan its removal.";
    RedundantFlow = "W105", Warning, "redundant-flow",
        title: "a flow is fully covered by another flow",
        explain: "Every packet the flow admits is admitted by another flow in the same direction that stays in force at least as long; the flow adds nothing and confuses reviews. When the flows of a policy overlap in so many ways that judging them would take more than the lint's budget of steps, they are judged up to that point and one `W105` says how many flows were not checked, at the first of them.",
        fix: "Remove the redundant flow, or narrow the broader one.";
    ConduitSlBelowZone = "W106", Warning, "conduit-sl-below-zone",
        title: "a conduit's security level is below one of its zones'",
        explain: "IEC 62443-3-2: a conduit should meet the target security level of the zones it joins.",
        fix: "Raise the conduit's `sl`, or waive the warning with the compensating measure.";
    MonitorMode = "W107", Warning, "monitor-mode",
        title: "a conduit is in monitor mode",
        explain: "A monitor-mode conduit admits, and logs, every packet between its two zones besides its flows: the one way a build admits more than the allow-list.",
        fix: "Switch to `mode enforce` once the traffic baseline is complete, or waive the warning with the reason and end date.";
    BuiltinOverridden = "W108", Warning, "builtin-overridden",
        title: "a user service replaces a built-in service of the same name",
        explain: "Every use of the name now means the user's definition, including in flows written with the built-in in mind.",
        fix: "Rename the service unless replacing the built-in is intended.";
    IcmpNeverNew = "W109", Warning, "icmp-never-new",
        title: "a flow admits an ICMP type that a stateful firewall never sees as a new connection",
        explain: "Connection tracking opens connections only for ICMP requests (echo, timestamp, information and address-mask requests; ICMPv6 echo and node-information queries). An unsolicited echo reply, router or neighbour-discovery message is invalid or untracked there, so the nftables build drops it although the policy allows it. Replies to a permitted request need no flow of their own.",
        fix: "Remove the type (replies to a permitted request pass as part of its connection), declare the request in the other direction instead, or waive the warning where the target is a stateless filter.";
    BidiInComment = "W110", Warning, "bidi-in-comment",
        title: "a comment holds a bidirectional control character",
        explain: "Bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C) change the order in which a terminal or review tool displays the text around them, so a comment can appear to end early or to cover policy text next to it (\"Trojan Source\"). They are legitimate in right-to-left prose, so in comments they are a warning; the first one of a file is reported, with the number of others. Being about a file, not a flow or conduit, it cannot be waived.",
        fix: "Remove the control characters, or write the comment without them.";
    BroadService = "W111", Warning, "broad-service",
        title: "a flow into level 2 or below admits more than 256 ports of a protocol, or a whole IP protocol",
        explain: "Control-level hosts (HMIs, controllers, engineering workstations) speak a few known protocols. A flow into level 2 or below that admits more than 256 TCP ports or more than 256 UDP ports (counting all its services together), or a whole IP protocol such as `ip/47` (GRE), which no port narrows, admits far more than any one application needs: `tcp/1-65535` lets every service of the destination be reached. The threshold is `BROAD_FLOW_PORTS` (docs/limits.md).",
        fix: "List the ports the application uses (a vendor's documentation names them), or waive the warning with the reason.";
    RemoteAccessNoExpiry = "W112", Warning, "remote-access-no-expiry",
        title: "remote access from outside, or a supplier's access into the plant, has no `expires`",
        explain: "Access for parties outside the organisation is granted for a contract or a job, and should lapse with it; a flow without `expires` stays open after the contract ends. Three kinds of flow are reported when they have no `expires`: a flow whose services include a remote-access service (`rdp`, `vnc`, `ssh`, and user services marked `remote-access`) from a level 5 zone (the internet, an outside network) into level 3.5 or below; a flow with a remote-access service from a zone marked `supplier`, whatever the two zones' levels; and any flow at all from a zone marked `supplier` into level 3.5 or below. Mark a zone `supplier` when it holds suppliers, integrators, vendor support or a remote-access pool for third parties, whatever its level; a zone without the mark is judged by its level alone.",
        fix: "Add `expires YYYY-MM-DD` for the end of the contract or the job, or waive the warning with the reason.";
    DirectoryAcrossBoundary = "W113", Warning, "directory-across-boundary",
        title: "directory or credential services cross between IT and the control levels",
        explain: "Kerberos (tcp/88, udp/88, tcp/464, udp/464), LDAP (tcp/389, udp/389), LDAPS (tcp/636), the global catalogue (tcp/3268-3269), MSRPC (tcp/135), SMB (tcp/445) and the NetBIOS ports of Netlogon (udp/137-138, tcp/139) between level 4 or 5 and level 3 or below, or between the level 3.5 DMZ and level 2 or below, in either direction, mean that the plant's hosts authenticate against a directory on the IT side (or the reverse): corporate credentials then reach into OT, and a compromised corporate directory is a path to the control levels. The usual design is a directory of the plant's own at level 3, without trust to the corporate one.",
        fix: "Authenticate the plant's hosts against a directory at level 3 with no trust to the corporate one, or waive the warning with the reason.";
    PlaceholderReason = "W114", Warning, "placeholder-reason",
        title: "a flow's reason is a placeholder or shorter than 6 characters",
        explain: "A flow's `reason` is its business justification, the first thing a reviewer or an auditor reads. `tbd`, `temp`, `todo`, `test`, `n/a`, `none`, `placeholder` and similar words (compared without case or a trailing `.`, `!` or `?`), and any reason shorter than `MIN_REASON_CHARS` (6) characters, say nothing about why the flow exists.",
        fix: "Say what the flow is for and who needs it, with the change ticket if there is one, or waive the warning with the reason.";
    IosAclOverBudget = "W115", Warning, "ios-acl-over-budget",
        title: "a Cisco IOS access list would hold more entries than the firewall's warning budget",
        explain: "Many IOS devices hold access lists in hardware (TCAM) tables of a few thousand entries, and `E606` refuses a list over 4,096. A `cisco-ios` firewall with a list over its warning budget, counted exactly as for `E606`, gets this early notice, naming the list and the flows that contribute most. The budget is the firewall's `acl-budget` (1 to 4,096), or `IOS_ACL_ENTRY_WARNING` (4,000) when it has none; set it to what the device's tables hold. A budget of 4,096 turns the notice off, as `E606` takes over from there. It is reported on the firewall and waived in the conduit (or flow) of the first flow it names.",
        fix: "Give the flows named fewer, larger address blocks or fewer port ranges, or split them over zones; or waive the warning where the device's tables hold the list.";
    NoIsolation = "W116", Warning, "no-isolation",
        title: "a conduit joins level 4 or 5 to the plant, and no isolation mode severs it",
        explain: "IEC 62443-3-3 SR 5.2 (island mode): the plant should be able to run cut off from the enterprise and the internet when those are compromised. A conduit between a level 4 or 5 zone and a zone at level 3.5 or below that no `isolation` mode severs (neither of its zones is listed in any `sever`) means the policy declares no way to build the plant as an island from that side, and `E603` cannot check that essential flows survive it.",
        fix: "Declare an isolation mode that severs the level 4 or 5 zone (or the DMZ), or waive the warning in the conduit with the reason.";
    NoManagement = "W117", Warning, "no-management",
        title: "a firewall declares no `manage` entry",
        explain: "Without a `manage` entry nothing in the policy admits administration of the firewall itself. On `cisco-ios` the inbound lists drop SSH and SNMP to the router, which locks the operators out once the lists are applied; on `nftables` and `fortios` the device's own services stay unfiltered by the policy (no `input` chain or `local-in-policy` is written), reachable from every zone. Either way the policy says nothing about who may administer the firewall.",
        fix: "Declare `manage NAME { from ZONE.HOST service ssh ... reason \"...\" owner ... }` in the firewall.";
    ManagementFromEnterprise = "W118", Warning, "management-from-enterprise",
        title: "a firewall can be administered from a zone at level 4 or above",
        explain: "A `manage` entry whose sources lie in a zone at Purdue level 4 or 5 lets the enterprise network or the internet administer a firewall that protects the plant: a compromised office workstation can reconfigure the boundary. IEC 62443-3-3 SR 1.13 asks for access from untrusted networks to be controlled; administration belongs to the plant's own engineering zone or a jump host in the DMZ.",
        fix: "Administer the firewall from a zone at level 3.5 or below (a jump host in the DMZ), or waive the warning in the `manage` entry with the reason.";
}

impl Code {
    /// Looks a code up by its code (`W107`) or slug (`monitor-mode`), ignoring case.
    pub fn lookup(s: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s) || c.slug().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_match_their_severity() {
        for w in Code::ALL.windows(2) {
            assert!(w[0].as_str() < w[1].as_str(), "{} before {}", w[0], w[1]);
        }
        let mut slugs: Vec<_> = Code::ALL.iter().map(|c| c.slug()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), Code::ALL.len());
        for c in Code::ALL {
            let want = if c.as_str().starts_with('W') {
                Severity::Warning
            } else {
                Severity::Error
            };
            assert_eq!(c.severity(), want, "{c}");
        }
    }

    #[test]
    fn lookup_by_code_or_slug() {
        assert_eq!(Code::lookup("w107"), Some(Code::MonitorMode));
        assert_eq!(Code::lookup("monitor-mode"), Some(Code::MonitorMode));
        assert_eq!(Code::lookup("W999"), None);
    }
}
