//! Every emitted configuration, read back by the evaluator registered for
//! its target (`conduitc_testkit::eval`, the one the integration tests use),
//! must decide the derived packets as `conduitc::decide` does.

use conduitc::Policy;
use conduitc_testkit::eval;

use crate::invariants;

/// Compiles `policy` under every option set through every backend (see
/// `invariants::compile`) and checks each output against `decide`. Every
/// target has an evaluator (the registry does not compile otherwise); only
/// a target that refused the rule set with an error has no output to read.
pub fn check_all(policy: &Policy) {
    let packets = invariants::probe_packets(policy);
    for (opts, outputs) in invariants::compile(policy) {
        for (target, output) in outputs {
            let text = match output {
                Ok(text) => text,
                // A refusal (the IOS entry budget, a name the target cannot
                // carry) is an answer, not output to evaluate.
                Err(_) => continue,
            };
            if let Err(e) = eval::agrees(target, policy, &opts, &text, &packets) {
                panic!("{e}");
            }
        }
    }
}
