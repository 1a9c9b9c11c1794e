//! `nft -c` accepts what the nftables backends emit for many generated
//! policies: this catches syntax the evaluator might accept but nft (or the
//! kernel: set overlaps, lengths, ranges) rejects. Runs in a throw-away
//! network namespace; needs root, `nft` and `ip`.

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions};

use conduitc_testkit::{gen, netns::Netns, sample};

fn options(p: &conduitc::Policy, seed: u64) -> BuildOptions {
    let today = gen::today();
    match seed % 4 {
        0 => BuildOptions::new(today),
        1 => BuildOptions::new(today)
            .with_isolation(p.isolations.first().map(|i| i.name.to_string())),
        2 => {
            BuildOptions::new(today).with_firewall(p.firewalls.first().map(|f| f.name.to_string()))
        }
        _ => BuildOptions::new(today.add_days(1)),
    }
}

#[test]
fn nft_accepts_text_and_json_for_generated_policies() {
    let ns = Netns::new("chk");
    let mut policies: Vec<(String, conduitc::Policy, BuildOptions)> = (0..50u64)
        .map(|seed| {
            let p = gen::policy(seed.wrapping_mul(0x9E37_79B9) ^ 0x5eed);
            let o = options(&p, seed);
            (format!("seed {seed}"), p, o)
        })
        .collect();
    for fw in [None, Some("plant-fw".to_string())] {
        policies.push((
            format!("sample {fw:?}"),
            sample::policy(),
            BuildOptions::new(sample::today()).with_firewall(fw),
        ));
    }
    for (what, p, opts) in &policies {
        let rules = lower(p, opts).unwrap();
        let text = backend::emit(&rules, Target::Nftables).unwrap();
        if let Err(e) = ns.nft_stdin(&["-c"], &text) {
            panic!("nft -c rejects the text for {what} {opts:?}: {e}\n{text}");
        }
        let json = backend::emit(&rules, Target::NftablesJson).unwrap();
        if let Err(e) = ns.nft_stdin(&["-j", "-c"], &json) {
            panic!("nft -j -c rejects the JSON for {what} {opts:?}: {e}\n{json}");
        }
    }
}

#[test]
fn nft_rejects_a_broken_file_so_the_check_can_fail() {
    let ns = Netns::new("neg");
    let rules = lower(&sample::policy(), &BuildOptions::new(sample::today())).unwrap();
    let text = backend::emit(&rules, Target::Nftables).unwrap();
    let broken = text.replacen("policy drop;", "policy dorp;", 1);
    assert!(ns.nft_stdin(&["-c"], &broken).is_err());
    let json = backend::emit(&rules, Target::NftablesJson).unwrap();
    let broken = json.replacen("\"policy\":\"drop\"", "\"policy\":\"dorp\"", 1);
    assert!(broken != json, "the JSON has no chain policy to break");
    assert!(ns.nft_stdin(&["-j", "-c"], &broken).is_err());
}

#[test]
fn text_and_json_load_to_the_same_kernel_ruleset_and_replace_the_old_one() {
    // In `live`, each ruleset is loaded over the previous seed's: the text,
    // listed, then the JSON over it, listed again. In `fresh`, the same
    // text is loaded into an empty ruleset. All three listings agree, so
    // JSON and text are the same ruleset and a reload replaces what was
    // there (no stale set element or chain survives).
    let live = Netns::new("live");
    let fresh = Netns::new("fresh");
    for seed in 0..12u64 {
        let p = gen::policy(seed ^ 0xabcdef);
        let opts = options(&p, seed);
        let rules = lower(&p, &opts).unwrap();
        let text = backend::emit(&rules, Target::Nftables).unwrap();
        let json = backend::emit(&rules, Target::NftablesJson).unwrap();
        live.nft_stdin(&[], &text).unwrap();
        let from_text = live.sh(&["nft", "list", "ruleset"]);
        live.nft_stdin(&["-j"], &json).unwrap();
        let from_json = live.sh(&["nft", "list", "ruleset"]);
        assert_eq!(from_text, from_json, "seed {seed} {opts:?}");
        assert!(from_text.contains("table inet conduit {"));
        fresh.sh(&["nft", "flush", "ruleset"]);
        fresh.nft_stdin(&[], &text).unwrap();
        assert_eq!(
            fresh.sh(&["nft", "list", "ruleset"]),
            from_text,
            "seed {seed}"
        );
    }
}
