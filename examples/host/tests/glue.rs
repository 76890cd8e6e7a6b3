//! SPEC §12: the host's glue to lanyard (its non-blank, non-comment lines of Rust in `src/`,
//! outside its own pages) is at most 60 lines.

#[test]
fn the_glue_is_at_most_60_lines() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut glue = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|name| name == "pages.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        glue += text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("//")).count();
    }
    assert!(glue > 20, "the glue was read: {glue} lines");
    assert!(glue <= 60, "{glue} lines of glue");
}
