//! The explanation of a code, as `conduitc explain CODE` prints it and
//! `docs/diagnostics.md` holds it: one text for both. Each code's section
//! has its severity and title, the explanation, the failing example from
//! `tests/diagnostics/` with what `check` reports for it (or why there is
//! no example), and the fix.

use std::fmt::Write as _;

use crate::check::{check, CheckOptions};
use crate::diag::{render, Code};
use crate::model::Date;
use crate::source::{needs_escape, Sources};

/// The date the examples are checked against (`--today 2026-12-01`).
pub const EXAMPLE_TODAY: &str = "2026-12-01";

/// Codes without a failing example file, and why.
pub const NO_EXAMPLE: &[(Code, &str)] = &[
    (
        Code::FileTooLarge,
        "needs a file over the file size limit; bad_input.rs lowers the limit with `--max-file-bytes`",
    ),
    (
        Code::PolicyTooLarge,
        "needs policy files over the policy size limit in all; limits.rs generates them",
    ),
    (
        Code::TooManyDeclarations,
        "needs more declarations than the limit; limits.rs generates them",
    ),
    (
        Code::ListTooLong,
        "needs a list of over 10,000 items; limits.rs generates one",
    ),
    (
        Code::ZoneTooLarge,
        "needs a zone of over 100,000 hosts; limits.rs generates one",
    ),
    (
        Code::LinkOutsideDirectory,
        "needs a symbolic link in a policy directory; source_safety.rs makes one",
    ),
    (
        Code::SpecialFile,
        "needs a FIFO in a policy directory; source_safety.rs makes one",
    ),
    (
        Code::PolicyExpandsTooFar,
        "needs flows expanding to over 10,000,000 ranges; limits.rs generates them",
    ),
    (
        Code::InvalidArguments,
        "comes from the command line, not a policy; cli_errors.rs runs the binary",
    ),
    (
        Code::ConflictingArguments,
        "comes from the command line, not a policy; cli_errors.rs runs the binary",
    ),
    (
        Code::InvalidArgumentValue,
        "comes from the command line, not a policy; cli_errors.rs runs the binary",
    ),
    (
        Code::UnknownFirewall,
        "comes from `build --firewall`, not from `check`; cli_errors.rs runs the binary",
    ),
    (
        Code::UnknownIsolationMode,
        "comes from `--isolation`, not from `check`; cli_errors.rs runs the binary",
    ),
    (
        Code::TargetContradictsPlatform,
        "comes from `build --target` with `--firewall`; cli_errors.rs and cli_out.rs run the binary",
    ),
    (
        Code::NoFirewallToWrite,
        "comes from `build --out`; cli_errors.rs runs the binary",
    ),
    (
        Code::FirewallNameNotFileName,
        "the name grammar already rules such a name out; `build --out` keeps the check as a second line of defence",
    ),
    (
        Code::SourceNameNotListable,
        "comes from `build --out` and a file name; cli_out.rs makes such files",
    ),
    (
        Code::SourceChanged,
        "needs a policy file rewritten between the check and the hashing of `build --out`",
    ),
    (
        Code::TargetCannotExpress,
        "`check` refuses every policy that would cause it; the backends' unit tests build rule sets that do",
    ),
    (
        Code::TargetRefusesName,
        "`check` refuses every name that would cause it; the backends' unit tests build rule sets that do",
    ),
    (
        Code::OutputNotWritten,
        "needs a failing disk or pipe; cli_out.rs and backend_ios_budget.rs make one",
    ),
    (
        Code::PathNotReadable,
        "comes from a path on the command line; cli_check.rs and cli_errors.rs run the binary",
    ),
    (
        Code::ApprovalMissing,
        "comes from `diff --require-approvals`; diff_cli.rs runs the binary",
    ),
    (
        Code::PreviousUnreadable,
        "comes from the configuration given to `build --from`, not from a policy; the transition tests give foreign ones",
    ),
    (
        Code::PreviousObjectInUse,
        "comes from an operator's configuration given to `build --from`; the FortiOS transition tests give one",
    ),
    (
        Code::TransitionNeedsFirewall,
        "comes from the command line; the transition CLI tests run the binary",
    ),
    (
        Code::TestSyntax,
        "comes from an assertion file read by `conduitc test`, not from a policy; ctest_cli.rs runs the binary on bad ones",
    ),
    (
        Code::TestUnknownName,
        "comes from an assertion file read by `conduitc test`, not from a policy; ctest_cli.rs and ctest.rs give unknown names",
    ),
    (
        Code::TestNoAssertions,
        "comes from the paths given to `conduitc test`; ctest_cli.rs runs the binary without assertions",
    ),
    (
        Code::TestEmptyBox,
        "comes from an assertion file read by `conduitc test`, not from a policy; ctest.rs gives an ICMP assertion between IPv6 addresses",
    ),
    (
        Code::LogUnreadable,
        "comes from `observe --log`, not from a policy; observe_cli.rs runs the binary",
    ),
    (
        Code::LogFormatUnknown,
        "comes from a log given to `observe`, not from a policy; observe_cli.rs runs the binary",
    ),
    (
        Code::ConfigUnreadable,
        "comes from `verify --config`, not from a policy; verify_cli.rs runs the binary",
    ),
    (
        Code::ConfigInvalid,
        "comes from a device configuration given to `verify`, not from a policy; verify_cli.rs runs the binary",
    ),
    (
        Code::VerifyTargetUnsupported,
        "comes from the command line; verify_cli.rs runs the binary",
    ),
    (
        Code::ConfigUnmodelled,
        "comes from a device configuration given to `verify`, not from a policy; verify_cli.rs runs the binary",
    ),
    (
        Code::VerifyFirewallRequired,
        "comes from the command line; verify_cli.rs runs the binary",
    ),
    (
        Code::LspProtocol,
        "comes from a language client, not from a policy; lsp.rs speaks to the binary",
    ),
    (
        Code::Internal,
        "no input may cause it; the fuzz and property tests assert it never occurs",
    ),
];

/// The failing example of each code that has one: code, file name in
/// `tests/diagnostics/`, content.
const EXAMPLES: &[(&str, &str, &[u8])] = &[
    (
        "E001",
        "E001-invalid-utf8.fail.conduit",
        include_bytes!("../tests/diagnostics/E001-invalid-utf8.fail.conduit"),
    ),
    (
        "E002",
        "E002-nul-byte.fail.conduit",
        include_bytes!("../tests/diagnostics/E002-nul-byte.fail.conduit"),
    ),
    (
        "E004",
        "E004-empty-policy.fail.conduit",
        include_bytes!("../tests/diagnostics/E004-empty-policy.fail.conduit"),
    ),
    (
        "E009",
        "E009-service-too-deep.fail.conduit",
        include_bytes!("../tests/diagnostics/E009-service-too-deep.fail.conduit"),
    ),
    (
        "E101",
        "E101-syntax-error.fail.conduit",
        include_bytes!("../tests/diagnostics/E101-syntax-error.fail.conduit"),
    ),
    (
        "E102",
        "E102-unterminated-string.fail.conduit",
        include_bytes!("../tests/diagnostics/E102-unterminated-string.fail.conduit"),
    ),
    (
        "E103",
        "E103-invalid-level.fail.conduit",
        include_bytes!("../tests/diagnostics/E103-invalid-level.fail.conduit"),
    ),
    (
        "E104",
        "E104-invalid-security-level.fail.conduit",
        include_bytes!("../tests/diagnostics/E104-invalid-security-level.fail.conduit"),
    ),
    (
        "E105",
        "E105-invalid-date.fail.conduit",
        include_bytes!("../tests/diagnostics/E105-invalid-date.fail.conduit"),
    ),
    (
        "E106",
        "E106-invalid-address.fail.conduit",
        include_bytes!("../tests/diagnostics/E106-invalid-address.fail.conduit"),
    ),
    (
        "E107",
        "E107-host-bits-set.fail.conduit",
        include_bytes!("../tests/diagnostics/E107-host-bits-set.fail.conduit"),
    ),
    (
        "E108",
        "E108-invalid-string.fail.conduit",
        include_bytes!("../tests/diagnostics/E108-invalid-string.fail.conduit"),
    ),
    (
        "E109",
        "E109-string-too-long.fail.conduit",
        include_bytes!("../tests/diagnostics/E109-string-too-long.fail.conduit"),
    ),
    (
        "E110",
        "E110-name-too-long.fail.conduit",
        include_bytes!("../tests/diagnostics/E110-name-too-long.fail.conduit"),
    ),
    (
        "E111",
        "E111-missing-attribute.fail.conduit",
        include_bytes!("../tests/diagnostics/E111-missing-attribute.fail.conduit"),
    ),
    (
        "E112",
        "E112-duplicate-attribute.fail.conduit",
        include_bytes!("../tests/diagnostics/E112-duplicate-attribute.fail.conduit"),
    ),
    (
        "E113",
        "E113-lone-carriage-return.fail.conduit",
        include_bytes!("../tests/diagnostics/E113-lone-carriage-return.fail.conduit"),
    ),
    (
        "E114",
        "E114-invisible-character.fail.conduit",
        include_bytes!("../tests/diagnostics/E114-invisible-character.fail.conduit"),
    ),
    (
        "E115",
        "E115-unknown-platform.fail.conduit",
        include_bytes!("../tests/diagnostics/E115-unknown-platform.fail.conduit"),
    ),
    (
        "E201",
        "E201-duplicate-name.fail.conduit",
        include_bytes!("../tests/diagnostics/E201-duplicate-name.fail.conduit"),
    ),
    (
        "E202",
        "E202-unknown-name.fail.conduit",
        include_bytes!("../tests/diagnostics/E202-unknown-name.fail.conduit"),
    ),
    (
        "E301",
        "E301-overlapping-networks.fail.conduit",
        include_bytes!("../tests/diagnostics/E301-overlapping-networks.fail.conduit"),
    ),
    (
        "E302",
        "E302-multiple-any-zones.fail.conduit",
        include_bytes!("../tests/diagnostics/E302-multiple-any-zones.fail.conduit"),
    ),
    (
        "E303",
        "E303-address-outside-zone.fail.conduit",
        include_bytes!("../tests/diagnostics/E303-address-outside-zone.fail.conduit"),
    ),
    (
        "E304",
        "E304-any-with-prefixes.fail.conduit",
        include_bytes!("../tests/diagnostics/E304-any-with-prefixes.fail.conduit"),
    ),
    (
        "E401",
        "E401-invalid-port.fail.conduit",
        include_bytes!("../tests/diagnostics/E401-invalid-port.fail.conduit"),
    ),
    (
        "E402",
        "E402-reversed-port-range.fail.conduit",
        include_bytes!("../tests/diagnostics/E402-reversed-port-range.fail.conduit"),
    ),
    (
        "E403",
        "E403-unknown-icmp-type.fail.conduit",
        include_bytes!("../tests/diagnostics/E403-unknown-icmp-type.fail.conduit"),
    ),
    (
        "E404",
        "E404-icmp-error-type.fail.conduit",
        include_bytes!("../tests/diagnostics/E404-icmp-error-type.fail.conduit"),
    ),
    (
        "E405",
        "E405-invalid-ip-protocol.fail.conduit",
        include_bytes!("../tests/diagnostics/E405-invalid-ip-protocol.fail.conduit"),
    ),
    (
        "E406",
        "E406-service-cycle.fail.conduit",
        include_bytes!("../tests/diagnostics/E406-service-cycle.fail.conduit"),
    ),
    (
        "E407",
        "E407-unknown-protocol.fail.conduit",
        include_bytes!("../tests/diagnostics/E407-unknown-protocol.fail.conduit"),
    ),
    (
        "E501",
        "E501-conduit-zones.fail.conduit",
        include_bytes!("../tests/diagnostics/E501-conduit-zones.fail.conduit"),
    ),
    (
        "E502",
        "E502-endpoint-outside-conduit.fail.conduit",
        include_bytes!("../tests/diagnostics/E502-endpoint-outside-conduit.fail.conduit"),
    ),
    (
        "E503",
        "E503-flow-direction.fail.conduit",
        include_bytes!("../tests/diagnostics/E503-flow-direction.fail.conduit"),
    ),
    (
        "E504",
        "E504-flow-never-matches.fail.conduit",
        include_bytes!("../tests/diagnostics/E504-flow-never-matches.fail.conduit"),
    ),
    (
        "E505",
        "E505-expired-flow.fail.conduit",
        include_bytes!("../tests/diagnostics/E505-expired-flow.fail.conduit"),
    ),
    (
        "E601",
        "E601-invalid-interface-name.fail.conduit",
        include_bytes!("../tests/diagnostics/E601-invalid-interface-name.fail.conduit"),
    ),
    (
        "E602",
        "E602-duplicate-interface-zone.fail.conduit",
        include_bytes!("../tests/diagnostics/E602-duplicate-interface-zone.fail.conduit"),
    ),
    (
        "E603",
        "E603-essential-flow-severed.fail.conduit",
        include_bytes!("../tests/diagnostics/E603-essential-flow-severed.fail.conduit"),
    ),
    (
        "E604",
        "E604-duplicate-interface-name.fail.conduit",
        include_bytes!("../tests/diagnostics/E604-duplicate-interface-name.fail.conduit"),
    ),
    (
        "E605",
        "E605-protocol-not-expressible.fail.conduit",
        include_bytes!("../tests/diagnostics/E605-protocol-not-expressible.fail.conduit"),
    ),
    (
        "E606",
        "E606-ios-acl-too-large.fail.conduit",
        include_bytes!("../tests/diagnostics/E606-ios-acl-too-large.fail.conduit"),
    ),
    (
        "E607",
        "E607-invalid-acl-budget.fail.conduit",
        include_bytes!("../tests/diagnostics/E607-invalid-acl-budget.fail.conduit"),
    ),
    (
        "E608",
        "E608-local-source-not-faced.fail.conduit",
        include_bytes!("../tests/diagnostics/E608-local-source-not-faced.fail.conduit"),
    ),
    (
        "E609",
        "E609-local-address-required.fail.conduit",
        include_bytes!("../tests/diagnostics/E609-local-address-required.fail.conduit"),
    ),
    (
        "E610",
        "E610-local-address-outside-zone.fail.conduit",
        include_bytes!("../tests/diagnostics/E610-local-address-outside-zone.fail.conduit"),
    ),
    (
        "E611",
        "E611-duplicate-local-address.fail.conduit",
        include_bytes!("../tests/diagnostics/E611-duplicate-local-address.fail.conduit"),
    ),
    (
        "E701",
        "E701-unknown-waiver-code.fail.conduit",
        include_bytes!("../tests/diagnostics/E701-unknown-waiver-code.fail.conduit"),
    ),
    (
        "E702",
        "E702-error-waived.fail.conduit",
        include_bytes!("../tests/diagnostics/E702-error-waived.fail.conduit"),
    ),
    (
        "W101",
        "W101-purdue-skip.fail.conduit",
        include_bytes!("../tests/diagnostics/W101-purdue-skip.fail.conduit"),
    ),
    (
        "W102",
        "W102-remote-access.fail.conduit",
        include_bytes!("../tests/diagnostics/W102-remote-access.fail.conduit"),
    ),
    (
        "W103",
        "W103-zone-to-zone.fail.conduit",
        include_bytes!("../tests/diagnostics/W103-zone-to-zone.fail.conduit"),
    ),
    (
        "W104",
        "W104-expiring-soon.fail.conduit",
        include_bytes!("../tests/diagnostics/W104-expiring-soon.fail.conduit"),
    ),
    (
        "W105",
        "W105-redundant-flow.fail.conduit",
        include_bytes!("../tests/diagnostics/W105-redundant-flow.fail.conduit"),
    ),
    (
        "W106",
        "W106-conduit-sl-below-zone.fail.conduit",
        include_bytes!("../tests/diagnostics/W106-conduit-sl-below-zone.fail.conduit"),
    ),
    (
        "W107",
        "W107-monitor-mode.fail.conduit",
        include_bytes!("../tests/diagnostics/W107-monitor-mode.fail.conduit"),
    ),
    (
        "W108",
        "W108-builtin-overridden.fail.conduit",
        include_bytes!("../tests/diagnostics/W108-builtin-overridden.fail.conduit"),
    ),
    (
        "W109",
        "W109-icmp-never-new.fail.conduit",
        include_bytes!("../tests/diagnostics/W109-icmp-never-new.fail.conduit"),
    ),
    (
        "W110",
        "W110-bidi-in-comment.fail.conduit",
        include_bytes!("../tests/diagnostics/W110-bidi-in-comment.fail.conduit"),
    ),
    (
        "W111",
        "W111-broad-service.fail.conduit",
        include_bytes!("../tests/diagnostics/W111-broad-service.fail.conduit"),
    ),
    (
        "W112",
        "W112-remote-access-no-expiry.fail.conduit",
        include_bytes!("../tests/diagnostics/W112-remote-access-no-expiry.fail.conduit"),
    ),
    (
        "W113",
        "W113-directory-across-boundary.fail.conduit",
        include_bytes!("../tests/diagnostics/W113-directory-across-boundary.fail.conduit"),
    ),
    (
        "W114",
        "W114-placeholder-reason.fail.conduit",
        include_bytes!("../tests/diagnostics/W114-placeholder-reason.fail.conduit"),
    ),
    (
        "W115",
        "W115-ios-acl-over-budget.fail.conduit",
        include_bytes!("../tests/diagnostics/W115-ios-acl-over-budget.fail.conduit"),
    ),
    (
        "W116",
        "W116-no-isolation.fail.conduit",
        include_bytes!("../tests/diagnostics/W116-no-isolation.fail.conduit"),
    ),
    (
        "W117",
        "W117-no-management.fail.conduit",
        include_bytes!("../tests/diagnostics/W117-no-management.fail.conduit"),
    ),
    (
        "W118",
        "W118-management-from-enterprise.fail.conduit",
        include_bytes!("../tests/diagnostics/W118-management-from-enterprise.fail.conduit"),
    ),
];

/// Every failing example: code, file name, content.
pub fn examples() -> impl Iterator<Item = (Code, &'static str, &'static [u8])> {
    EXAMPLES
        .iter()
        .filter_map(|(c, name, bytes)| Some((Code::lookup(c)?, *name, *bytes)))
}

/// Why `code` has no failing example, when it has none.
pub fn no_example(code: Code) -> Option<&'static str> {
    NO_EXAMPLE
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, why)| *why)
}

/// The failing example of `code`: its file name and content.
pub fn example(code: Code) -> Option<(&'static str, &'static [u8])> {
    examples()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, bytes)| (name, bytes))
}

/// What `check` reports for `code` on its example, rendered as text
/// without colour (checked against [`EXAMPLE_TODAY`], under the bare file
/// name).
pub fn example_report(code: Code) -> Option<String> {
    let (name, bytes) = example(code)?;
    let today = Date::parse(EXAMPLE_TODAY)?;
    let mut sources = Sources::new();
    sources.add_bytes(name, None, bytes.to_vec());
    let checked = check(&sources, &CheckOptions::new(today));
    let d = checked.diagnostics.iter().find(|d| d.code == code)?;
    Some(render::text_one(d, &sources, false))
}

/// True when `text` holds a lone carriage return or a character the
/// renderer escapes (other than tab and line ends): shown verbatim, it
/// would hide or reorder text.
fn hides_text(text: &str) -> bool {
    text.replace("\r\n", "\n").chars().any(needs_escape)
}

/// The section of `docs/diagnostics.md` for `code` (markdown, starting
/// with `## CODE slug`), which `conduitc explain` prints too.
pub fn section(code: Code) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "## {} {}\n\n**{}**: {}.\n\n{}\n",
        code.as_str(),
        code.slug(),
        code.severity(),
        code.title(),
        code.explain()
    );
    match example(code) {
        Some((name, bytes)) => {
            match std::str::from_utf8(bytes) {
                Ok(text) if !text.contains('\0') && !hides_text(text) => {
                    let _ = write!(s, "\n### Example\n\n```conduit\n{}\n```\n", text.trim_end());
                }
                Ok(text) if !text.contains('\0') => {
                    let _ = write!(
                        s,
                        "\n### Example\n\nSee `tests/diagnostics/{name}` (not shown: it holds characters that would hide or reorder text here).\n",
                    );
                }
                _ => {
                    let _ = write!(
                        s,
                        "\n### Example\n\nSee `tests/diagnostics/{name}` (not shown: it is not valid text).\n",
                    );
                }
            }
            if let Some(report) = example_report(code) {
                let _ = write!(s, "\nreports\n\n```text\n{report}```\n");
            }
        }
        None => {
            if let Some(why) = no_example(code) {
                let _ = write!(s, "\n*No example: {why}.*\n");
            }
        }
    }
    let _ = write!(s, "\n### How to fix\n\n{}\n", code.fix());
    s
}
