//! docs/architecture.md stays true to the tree: every file or folder it names in
//! backticks (`src/profile.rs`, `poll/worker.rs`, `ui_compare.rs`, `tests/ui_common/`)
//! exists, at the path written or under `src/` or `tests/`.

use std::path::Path;

/// The backticked words of `text` that look like paths: a `/` or a `.rs`/`.sh` ending.
fn named_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| !w.contains(char::is_whitespace) && !w.contains("::"))
        .filter(|w| {
            let ext = Path::new(w).extension().and_then(|e| e.to_str());
            w.contains('/') || matches!(ext, Some("rs" | "sh"))
        })
        .filter(|w| !w.contains('…') && !w.starts_with('-'))
        .collect()
}

#[test]
fn every_path_the_map_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("docs/architecture.md")).expect("the map");
    let paths = named_paths(&map);
    assert!(paths.len() >= 30, "the map names files: {paths:?}");
    let missing: Vec<&str> = paths
        .into_iter()
        .filter(|p| {
            let p = p.trim_end_matches('/');
            !["", "src", "tests"]
                .iter()
                .any(|base| root.join(base).join(p).exists())
        })
        .collect();
    assert!(missing.is_empty(), "docs/architecture.md names {missing:?}");
}
