//! Records the commit tongbao is built from, for `tongbao --version`, lists the shipped
//! templates for `tongbao init` (every file of templates/, so a new template is never forgotten),
//! and turns the word segmenter's dictionary into a sorted table the binary carries, so that no
//! run spends time loading it (see `src/render/words/dict.rs`).
//!
//! `TONGBAO_COMMIT` wins (a distribution building from a source tarball sets it); otherwise git is
//! asked, and a tree without git (a tarball, `cargo package`) says 未知. Only the commit is recorded,
//! never a time or a dirty flag, so the same source builds the same binary.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TONGBAO_COMMIT");
    let commit = std::env::var("TONGBAO_COMMIT").ok().filter(|c| !c.trim().is_empty());
    let commit = commit.or_else(|| {
        // Only a repository whose top is this package: a tarball unpacked inside another
        // repository must not take that repository's commit.
        let top = git(&["rev-parse", "--show-toplevel"])?;
        let here = std::env::var("CARGO_MANIFEST_DIR").ok()?;
        let same = Path::new(&top).canonicalize().ok()? == Path::new(&here).canonicalize().ok()?;
        if !same {
            return None;
        }
        // Rebuild when HEAD moves: the HEAD file and the branch it points to.
        for file in ["HEAD", "packed-refs"] {
            if let Some(path) = git(&["rev-parse", "--git-path", file])
                && Path::new(&path).exists()
            {
                println!("cargo:rerun-if-changed={path}");
            }
        }
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
            && let Some(path) = git(&["rev-parse", "--git-path", &branch])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
        git(&["rev-parse", "--short=12", "HEAD"])
    });
    println!("cargo:rustc-env=TONGBAO_COMMIT={}", commit.as_deref().unwrap_or("未知"));
    templates();
    dictionary();
}

/// `$OUT_DIR/templates.rs`: `TEMPLATES`, every file of templates/ (name, bytes), sorted.
fn templates() {
    println!("cargo:rerun-if-changed=templates");
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("templates");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from(
        "/// Every file of templates/, as shipped with this build.\npub(crate) const SHIPPED_TEMPLATES: &[(&str, &[u8])] = &[\n",
    );
    for name in names {
        let path = dir.join(&name);
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("templates.rs");
    std::fs::write(out, code).unwrap();
}

/// `$OUT_DIR/dict.bin`: jieba's dictionary (`src/render/words/jieba-dict.txt.gz`, one `word freq`
/// a line) as a table sorted by the words' bytes, read in place by `render::words::dict`:
/// `count: u32`, `longest: u32` (the longest word in characters), `total: u64` (the sum of the
/// frequencies), then `count + 1` word offsets (`u32`), `count` frequencies (`u32`), and the words'
/// bytes. Little-endian throughout.
fn dictionary() {
    use std::io::Read as _;
    let src = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/render/words/jieba-dict.txt.gz");
    println!("cargo:rerun-if-changed={}", src.display());
    let packed = std::fs::read(&src).expect("the segmenter's dictionary is part of the source");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_string(&mut text)
        .expect("the dictionary is gzip-compressed UTF-8");
    let mut entries: Vec<(&str, u32)> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_ascii_whitespace();
            let word = parts.next()?;
            let freq = parts.next().map_or(0, |f| f.parse().expect("a frequency is a number"));
            Some((word, freq))
        })
        .collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let before = entries.len();
    entries.dedup_by(|b, a| a.0 == b.0);
    assert_eq!(before, entries.len(), "the dictionary lists every word once");
    let total: u64 = entries.iter().map(|(_, f)| u64::from(*f)).sum();
    let longest = entries.iter().map(|(w, _)| w.chars().count()).max().unwrap_or(0) as u32;
    let mut out = Vec::new();
    out.extend((entries.len() as u32).to_le_bytes());
    out.extend(longest.to_le_bytes());
    out.extend(total.to_le_bytes());
    let mut at = 0u32;
    for (word, _) in &entries {
        out.extend(at.to_le_bytes());
        at += word.len() as u32;
    }
    out.extend(at.to_le_bytes());
    for (_, freq) in &entries {
        out.extend(freq.to_le_bytes());
    }
    for (word, _) in &entries {
        out.extend(word.as_bytes());
    }
    std::fs::write(Path::new(&std::env::var("OUT_DIR").unwrap()).join("dict.bin"), out).unwrap();
}
