//! The book includes code and output, never copies: check that every include points at
//! something real, so a renamed anchor or snapshot cannot leave a chapter quietly empty.

use std::fs;
use std::path::Path;

/// Every `{{#include PATH}}` in the book's chapters: (chapter, path as written).
fn includes() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("book/src").expect("book/src exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for piece in text.split("{{#include ").skip(1) {
            let target = piece.split("}}").next().unwrap().trim().to_string();
            found.push((path.display().to_string(), target));
        }
    }
    found
}

#[test]
fn every_include_points_at_a_real_file_and_anchor() {
    for (chapter, target) in includes() {
        let mut parts = target.splitn(2, ':');
        let file = parts.next().unwrap();
        let selector = parts.next();
        let path = Path::new("book/src").join(file);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{chapter}: include {target}: {error}"));
        match selector {
            None => {}
            Some(range) if file.ends_with(".snap") => {
                // Snapshot files start with a three-line insta header; the output is line 4 on.
                assert_eq!(
                    range, "4:",
                    "{chapter}: include snapshots whole, as `{file}:4:`"
                );
                let header: Vec<&str> = text.lines().take(3).collect();
                assert!(
                    header.len() == 3 && header[0] == "---" && header[2] == "---",
                    "{chapter}: {file} does not have the three-line header the include skips"
                );
            }
            Some(anchor) if anchor.chars().all(|c| c.is_ascii_digit() || c == ':') => {}
            Some(anchor) => {
                assert!(
                    text.contains(&format!("ANCHOR: {anchor}"))
                        && text.contains(&format!("ANCHOR_END: {anchor}")),
                    "{chapter}: {file} has no ANCHOR {anchor}"
                );
            }
        }
    }
}

#[test]
fn every_lesson_has_a_chapter_in_the_summary() {
    let summary = fs::read_to_string("book/src/SUMMARY.md").unwrap();
    for entry in fs::read_dir("lessons").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix("lesson") {
            let number = &rest[..2];
            let chapter = format!("lesson{number}.md");
            assert!(
                summary.contains(&chapter),
                "SUMMARY.md does not list {chapter}"
            );
            assert!(
                Path::new("book/src").join(&chapter).exists(),
                "{chapter} is missing"
            );
        }
    }
}
