//! The conduit language for [tree-sitter](https://tree-sitter.github.io/):
//! the parser generated from `grammar.js` (`src/parser.c`, compiled by the
//! build script) and the highlight queries.
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser
//!     .set_language(&tree_sitter_conduit::LANGUAGE.into())
//!     .expect("the conduit grammar loads");
//! let tree = parser.parse("zone a { level 1 }\n", None).expect("a tree");
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_conduit() -> *const ();
}

/// The tree-sitter language of conduit policy files.
// The one unsafe item: the generated C parser's entry point, as every
// tree-sitter grammar crate binds it.
#[allow(unsafe_code)]
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_conduit) };

/// The node types of the grammar (`src/node-types.json`).
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// The highlight queries (`queries/highlights.scm`).
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");
