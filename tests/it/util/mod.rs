//! Helpers shared by the integration tests: a throw-away copy of the shipped project, a way to edit
//! its files, runners for the `tongbao` binary and `pdftotext`, and the laid-out document.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tongbao::pipeline::{Plan, Session};
use tongbao::typeset::inspect::{self, Layout};

pub mod browser;
pub mod git;
pub mod office;
pub mod watch;

/// The month's text file (通报.txt).
pub const TEXT: &str = "通报.txt";
/// March's text file, inside the project.
pub const MARCH_TEXT: &str = "data/2023-03/通报.txt";

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the shipped project in a temporary folder: data/ and templates/ copied, the fonts
/// hard-linked (a symlink to the repository's fonts/ would point outside the project, and tongbao
/// refuses to read through such links).
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// Copies a tree; with `link`, files are hard-linked instead (only for files no test edits: fonts),
/// falling back to a copy where linking fails (another file system).
pub fn copy_tree(from: &Path, to: &Path, link: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, link);
        } else if !link || std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Replaces the first occurrence of `from` in the file at `path` by `to`, asserting the file
/// contains it (so an edit that no longer matches the data fails loudly instead of doing nothing).
pub fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

impl Project {
    /// Copies the shipped project.
    pub fn shipped() -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&repo().join("data"), &dir.path().join("data"), false);
        copy_tree(&repo().join("templates"), &dir.path().join("templates"), false);
        copy_tree(&repo().join("fonts"), &dir.path().join("fonts"), true);
        Project { dir }
    }

    /// The shipped project with March 2023 as its only month (the example months removed), for
    /// tests about which month is the latest.
    pub fn march_only() -> Project {
        let p = Project::shipped();
        for entry in std::fs::read_dir(p.path("data")).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.starts_with("20") && name != "2023-03" {
                std::fs::remove_dir_all(p.path(&format!("data/{name}"))).unwrap();
            }
        }
        p
    }

    /// The example project `examples/<name>/` (its data and settings) with the repository's
    /// templates and fonts, as `scripts/example` assembles it.
    pub fn example(name: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&repo().join("examples").join(name), dir.path(), false);
        copy_tree(&repo().join("templates"), &dir.path().join("templates"), false);
        copy_tree(&repo().join("fonts"), &dir.path().join("fonts"), true);
        Project { dir }
    }

    /// The names of the example projects under `examples/`.
    pub fn examples() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(repo().join("examples"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().join("data").is_dir())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the project.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Reads a project file.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Writes a project file.
    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    /// Replaces the first occurrence of `from` in a file (which must contain it).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        replace_in(&self.path(rel), from, to);
    }

    /// Makes month `to` a copy of the shipped March, issued on `issued` (YYYY-MM-DD).
    pub fn copy_march(&self, to: &str, issued: &str) {
        std::fs::create_dir(self.path(&format!("data/{to}"))).unwrap();
        for f in ["710.yaml", "12345.yaml", "portal.yaml", "document.yaml", TEXT] {
            std::fs::copy(
                self.path(&format!("data/2023-03/{f}")),
                self.path(&format!("data/{to}/{f}")),
            )
            .unwrap();
        }
        let date: Vec<u32> = issued.split('-').map(|p| p.parse().unwrap()).collect();
        self.edit(
            &format!("data/{to}/{TEXT}"),
            "\n2023年5月5日\n",
            &format!("\n{}年{}月{}日\n", date[0], date[1], date[2]),
        );
    }

    /// Asserts that no temporary file of an atomic write was left in `rel`.
    pub fn assert_no_temporaries(&self, rel: &str) {
        let leftovers: Vec<String> = std::fs::read_dir(self.path(rel))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    /// A build session on this project, with the default options.
    pub fn session(&self) -> Session {
        Session::new(self.root(), &Plan::default())
    }

    /// Runs tongbao with `args` in this project.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(args)
            .arg("--root")
            .arg(self.root())
            .output()
            .unwrap()
    }

    /// Runs tongbao with `args` in this project, as [`Project::run`], but for at most `limit`:
    /// `None` (the process killed) when it has not finished by then.
    pub fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Option<Output> {
        use std::io::Read;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(args)
            .arg("--root")
            .arg(self.root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        Some(Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        })
    }

    /// Runs `check --format json` and returns the exit code and the diagnostics.
    pub fn check(&self) -> (i32, Vec<serde_json::Value>) {
        let out = self.run(&["check", "--format", "json"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), diags)
    }

    /// The errors (not warnings) of `check`.
    pub fn errors(&self) -> (i32, Vec<serde_json::Value>) {
        let (code, diags) = self.check();
        (code, diags.into_iter().filter(|d| d["severity"] == "error").collect())
    }
}

/// The only error of a check run, asserting there is exactly one.
/// A command's stdout and stderr together, for assertion messages.
pub fn output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn only_error(project: &Project) -> serde_json::Value {
    let (code, errors) = project.errors();
    assert_eq!(code, 1, "expected exit code 1, errors: {errors:#?}");
    assert_eq!(errors.len(), 1, "expected one error: {errors:#?}");
    errors.into_iter().next().unwrap()
}

/// Builds `month` in `session`, asserts the build succeeded (printing its diagnostics) and measures
/// the laid-out document. The one place the tests reach into a build's document.
pub fn laid_out(session: &mut Session, month: &str) -> Layout {
    let outcome = session.build(month);
    assert!(!outcome.failed(), "{:#?}", outcome.diagnostics);
    inspect::measure(
        outcome
            .document
            .as_ref()
            .expect("a successful build keeps its document"),
    )
}

/// Text of a PDF as `pdftotext -layout` extracts it (poppler-utils): one line per printed line, so a
/// table row stays one line whatever order the cells were drawn in.
pub fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed; .ci/run installs it");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The towns and streets every 12345 table of the shipped registry must list (总寨镇 first).
pub const TOWNS: [&str; 8] = [
    "总寨镇政府",
    "南川东路街道办事处",
    "南川西路街道办事处",
    "饮马街街道办事处",
    "人民街街道办事处",
    "仓门街街道办事处",
    "礼让街街道办事处",
    "南滩街道办事处",
];

/// The value of `key` in a flow-mapping row of a month file (`{单位: 甲, 本月: 71, …}` →
/// `field(row, "本月")` is `71`).
pub fn field(row: &str, key: &str) -> String {
    let after = row
        .split(&format!("{key}: "))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {row}"));
    after.split([',', '}']).next().unwrap().trim().to_string()
}

/// Removes all whitespace and folds full-width punctuation to its ASCII twin, so the seed's web
/// text (half-width commas and colons) and the typeset circular (full-width) compare equal.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '，' => ',',
            '：' => ':',
            '；' => ';',
            '（' => '(',
            '）' => ')',
            '．' => '.',
            '％' => '%',
            c => c,
        })
        .collect()
}

/// Runs check-jsonschema (PyPI) with `args`: the one scripts/test installs in its virtual
/// environment (`TONGBAO_CHECK_JSONSCHEMA`), else one on PATH.
pub fn check_jsonschema(args: &[&std::ffi::OsStr]) -> Output {
    let program = std::env::var_os("TONGBAO_CHECK_JSONSCHEMA").unwrap_or_else(|| "check-jsonschema".into());
    Command::new(&program).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{}: {e}; check-jsonschema must be installed (scripts/test installs it in a virtual environment)",
            Path::new(&program).display()
        )
    })
}

/// A part of a zip file (a .docx or an .xlsx), read with Python's zipfile.
pub fn zip_part(file: &Path, part: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import zipfile,sys; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(file)
        .arg(part)
        .output()
        .unwrap();
    assert!(out.status.success(), "{part}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A file of the repository, as text.
pub fn repo_file(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap()
}

/// Drops page numbers (“—3—” once whitespace is gone) from normalised text.
pub fn without_page_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '—' {
            let digits = chars[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && chars.get(i + 1 + digits) == Some(&'—') {
                i += digits + 2;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The sentences of the published March 2023 circular's body (before its attachments), each as
/// written and normalised (`normalise`), the empty ones left out; at least 28 of them.
pub fn seed_sentences() -> Vec<(String, String)> {
    let seed = repo_file("tests/fixtures/seed-circular-2023-03.txt");
    let body = seed.split("\n附件1\n").next().unwrap_or_default().to_string();
    let sentences: Vec<(String, String)> = body
        .lines()
        .flat_map(|l| l.split_inclusive('。'))
        .map(|s| (s.to_string(), normalise(s)))
        .filter(|(_, n)| !n.is_empty())
        .collect();
    assert!(sentences.len() >= 28, "only {} sentences in the seed", sentences.len());
    sentences
}

/// Rows of the seed's attachment tables, normalised: one from each table and the 12345 合计.
pub const SEED_ROWS: [&str; 4] = [
    "1总寨镇人民政府2200",
    "10区市场监督管理局20320331",
    "合计1164116415253",
    "22区自然资源和林业局111100%",
];
