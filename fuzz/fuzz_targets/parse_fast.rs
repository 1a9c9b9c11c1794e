//! Arbitrary text through both readers of the grammar: the hand-written
//! fast path must give exactly pest's tree (spans and comments included)
//! wherever it takes the text, and must not give up on text pest accepts
//! without a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(why) = conduitc::fast_reader_agrees(text) {
            panic!("fast reader and pest disagree: {why}");
        }
    }
});
