//! Every saved input of every target, replayed through its harness: the corpus a fuzzing run grew
//! (`corpus/<target>/`) and the inputs that once broke a property (`regressions/<target>/`, kept
//! after the fix). scripts/fuzz adds to both; this runs them as ordinary tests, without a sanitizer.

use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else { continue };
        for entry in entries {
            let path = entry.expect("a readable directory").path();
            let input = std::fs::read(&path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| harness(&input));
            assert!(outcome.is_ok(), "{target}: {} breaks its property", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "{target} has no saved input: run scripts/fuzz");
}

macro_rules! replayed {
    ($($target:ident),* $(,)?) => {
        $( #[test] fn $target() { replay(stringify!($target), lanyard_fuzz::$target) } )*
    };
}

replayed!(access_token, jwt_parts, cookie_header, authorization_header, refresh_token_format, next_path, router);
