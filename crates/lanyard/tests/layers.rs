//! The layering rules of docs/ARCHITECTURE.md, checked on the source itself: no import cycle among
//! the files of each of lanyard's crates and the demo app, the session module never reaching into
//! `ui`, one `thread_local!` in lanyard, and no hand-written request (a `json!` body or an `"/api/`
//! path) outside the server functions. (The demo is reachable only from the demo by Cargo itself:
//! it is a crate that depends on lanyard's.)
//!
//! A file depends on another when it names an item of it by path (`use crate::a::b`,
//! `super::X`, `child::Y`, in `use` lines and in code alike). Declaring a child module (`mod x;`) is
//! not a dependency; a parent that names an item of its child is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file and the module path it defines (`ui/sessions.rs` → `["ui", "sessions"]`).
struct Source {
    file: String,
    module: Vec<String>,
    code: String,
}

/// The files of this crate.
fn sources() -> Vec<Source> {
    sources_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// The source folders of lanyard's crates and of the demo app, each its own graph.
fn every_crate() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let libraries = ["lanyard", "lanyard-contract", "lanyard-engine"].map(|name| crates.join(name).join("src"));
    libraries.into_iter().chain([the_demo()]).collect()
}

/// The demo app's source folder.
fn the_demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../app/src")
}

fn sources_in(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let mut module: Vec<String> = relative.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source { file: relative, module, code: strip(&text) }
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The code without comments and without the unit-test module (whose `super` is the file itself).
fn strip(text: &str) -> String {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every path the code names, as written: `crate::a::{b, c::d}` gives `crate::a::b` and
/// `crate::a::c::d`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // `$crate::…` in a macro's body is resolved where the macro is used, not an import here.
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || matches!(chars[i - 1], '_' | ':' | '$'));
        if starts_word && (chars[i].is_alphabetic() || chars[i] == '_') {
            let (paths, next) = parse_path(&chars, i);
            found.extend(paths.into_iter().filter(|p| p.len() > 1));
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// Parses `seg::seg::{group}` from `start`; returns the expanded paths and where parsing stopped.
fn parse_path(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = start;
    loop {
        let word_start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        if i == word_start {
            break;
        }
        prefix.push(chars[word_start..i].iter().collect::<String>());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
            while chars.get(i).is_some_and(|c| c.is_whitespace()) {
                i += 1;
            }
            if chars.get(i) == Some(&'{') {
                let (groups, next) = parse_group(chars, i + 1);
                let expanded = groups.into_iter().map(|tail| [prefix.clone(), tail].concat()).collect();
                return (expanded, next);
            }
            continue;
        }
        break;
    }
    (vec![prefix], i)
}

/// Parses the items of a `{ … }` group up to its closing brace.
fn parse_group(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut items = Vec::new();
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '}' => return (items, i + 1),
            c if c.is_alphabetic() || c == '_' => {
                let (paths, next) = parse_path(chars, i);
                items.extend(paths);
                i = next;
            }
            _ => i += 1,
        }
    }
    (items, i)
}

/// The child modules a file declares (`mod x;`, `pub mod x;`).
fn declared_children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "))?;
            let name = rest.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// The file-level dependency graph: file → files it names items of.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<Vec<String>, String> =
        sources.iter().map(|s| (s.module.clone(), s.file.clone())).collect();
    // A `#[macro_export]` macro is named at the crate's root (`crate::name`) but lives in its file.
    for source in sources {
        for name in exported_macros(&source.code) {
            modules.insert(vec![name], source.file.clone());
        }
    }
    let mut edges = BTreeMap::new();
    for source in sources {
        let children = declared_children(&source.code);
        let mut targets = BTreeSet::new();
        for path in paths_in(&source.code) {
            let absolute = match path[0].as_str() {
                "crate" => path[1..].to_vec(),
                "super" | "self" => {
                    let mut base = source.module.clone();
                    let mut rest = &path[..];
                    while let Some(first) = rest.first() {
                        match first.as_str() {
                            "super" => {
                                base.pop();
                            }
                            "self" => {}
                            _ => break,
                        }
                        rest = &rest[1..];
                    }
                    [base, rest.to_vec()].concat()
                }
                child if children.contains(child) => [source.module.clone(), path.clone()].concat(),
                _ => continue,
            };
            let target = (0..=absolute.len()).rev().find_map(|n| modules.get(&absolute[..n]));
            if let Some(target) = target.filter(|t| **t != source.file) {
                targets.insert(target.clone());
            }
        }
        edges.insert(source.file.clone(), targets);
    }
    edges
}

/// The macros `code` exports with `#[macro_export]`.
fn exported_macros(code: &str) -> Vec<String> {
    code.split("#[macro_export]")
        .skip(1)
        .filter_map(|after| after.trim_start().strip_prefix("macro_rules!"))
        .filter_map(|rest| rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).find(|w| !w.is_empty()))
        .map(str::to_owned)
        .collect()
}

/// A cycle in the graph, if there is one, as the files along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn the_files_of_each_crate_import_each_other_without_a_cycle() {
    for root in every_crate() {
        let sources = sources_in(&root);
        assert!(sources.len() > 3, "{} was read", root.display());
        if let Some(cycle) = find_cycle(&graph(&sources)) {
            panic!("import cycle in {}: {}", root.display(), cycle.join(" → "));
        }
    }
}

#[test]
fn the_session_module_imports_nothing_from_the_ui() {
    let edges = graph(&sources());
    for (file, targets) in edges.iter().filter(|(file, _)| file.starts_with("session")) {
        let into_ui: Vec<_> = targets.iter().filter(|t| t.starts_with("ui/")).collect();
        assert!(into_ui.is_empty(), "{file} imports {into_ui:?}");
    }
}

#[test]
fn the_app_has_at_most_one_thread_local() {
    let statics: Vec<String> = sources()
        .iter()
        .flat_map(|s| std::iter::repeat_n(s.file.clone(), s.code.matches("thread_local!").count()))
        .collect();
    assert!(statics.len() <= 1, "thread_local! in {statics:?}");
}

#[test]
fn requests_are_written_only_by_the_api_module() {
    let lanyards = sources().into_iter().filter(|s| s.file.starts_with("ui/") || s.file.starts_with("session"));
    let demos = sources_in(&the_demo()).into_iter().filter(|s| s.file != "api.rs" && s.file != "lib.rs");
    for source in lanyards.chain(demos) {
        for needle in ["json!", "\"/api/"] {
            assert!(!source.code.contains(needle), "{} writes {needle}", source.file);
        }
    }
}

#[test]
fn the_checker_sees_a_cycle_and_paths_in_groups() {
    let paths = paths_in("use crate::a::{b, c::{d, E}};\nsuper::X::new();");
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(shown, ["crate::a::b", "crate::a::c::d", "crate::a::c::E", "super::X::new"]);
    let source = |file: &str, module: &[&str], code: &str| Source {
        file: file.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        code: code.into(),
    };
    let cyclic = [
        source("lib.rs", &[], "mod a;\nmod b;"),
        source("a.rs", &["a"], "use crate::b::Thing;"),
        source("b.rs", &["b"], "fn f() { super::a::other(); }"),
    ];
    assert_eq!(find_cycle(&graph(&cyclic)).unwrap(), ["a.rs", "b.rs", "a.rs"]);
}
