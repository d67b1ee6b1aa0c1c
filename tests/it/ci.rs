//! The CI definitions for the forges offices run are valid against the forges' own schemas
//! (check-jsonschema's vendored copies; scripts/test installs it) and run the README's commands.

use crate::util::{check_jsonschema, repo};

fn lint(schema: &str, files: &[std::path::PathBuf]) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--builtin-schema".as_ref(), schema.as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = check_jsonschema(&args);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn in_repo(files: &[&str]) -> Vec<std::path::PathBuf> {
    files.iter().map(|f| repo().join(f)).collect()
}

#[test]
fn github_gitea_and_forgejo_workflows_are_valid() {
    lint(
        "vendor.github-workflows",
        &in_repo(&[
            ".github/workflows/tongbao.yml",
            ".gitea/workflows/tongbao.yml",
            ".github/workflows/release.yml",
            ".gitea/workflows/release.yml",
        ]),
    );
}

#[test]
fn gitlab_ci_is_valid() {
    lint("vendor.gitlab-ci", &in_repo(&[".gitlab-ci.yml"]));
}

#[test]
fn ci_runs_the_readme_commands() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for file in [
        ".github/workflows/tongbao.yml",
        ".gitea/workflows/tongbao.yml",
        ".gitlab-ci.yml",
    ] {
        let ci = std::fs::read_to_string(repo().join(file)).unwrap();
        for command in [
            "cargo run --release --locked -- check",
            "cargo run --release --locked -- build --all",
        ] {
            assert!(ci.contains(command), "{file} does not run {command}");
            assert!(readme.contains(command), "README does not document {command}");
        }
        assert!(ci.contains("out/*/circular.pdf"), "{file} does not publish the PDFs");
    }
}

/// The CI files `tongbao init` gives a new office are valid for their forges too, and run the
/// installed tongbao (an office's repository has no source to build).
#[test]
fn an_offices_ci_files_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let units = crate::init::units_csv(dir.path());
    let out = crate::init::tongbao(
        dir.path(),
        &[
            "init",
            "o",
            "--office",
            crate::init::OFFICE,
            "--units",
            units.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", crate::util::output(&out));
    let o = dir.path().join("o");
    let actions = [
        o.join(".github/workflows/tongbao.yml"),
        o.join(".gitea/workflows/tongbao.yml"),
    ];
    lint("vendor.github-workflows", &actions);
    lint("vendor.gitlab-ci", &[o.join(".gitlab-ci.yml")]);
    for file in actions.iter().chain([&o.join(".gitlab-ci.yml")]) {
        let ci = std::fs::read_to_string(file).unwrap();
        assert!(
            ci.contains("tongbao check") && ci.contains("tongbao build --all"),
            "{}",
            file.display()
        );
        assert!(
            ci.contains("TONGBAO_DEB_URL") && !ci.contains("cargo"),
            "{}",
            file.display()
        );
    }
}

/// The release workflows build every target the README promises, package Debian's, and keep
/// the artefacts.
#[test]
fn release_workflows_build_the_promised_targets() {
    for file in [".github/workflows/release.yml", ".gitea/workflows/release.yml"] {
        let wf = std::fs::read_to_string(repo().join(file)).unwrap();
        for target in [
            "x86_64-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "loongarch64-unknown-linux-gnu",
            "x86_64-pc-windows-msvc",
        ] {
            assert!(wf.contains(target), "{file} does not build {target}");
        }
        assert!(wf.contains("scripts/package --target"), "{file} does not package");
        assert!(wf.contains("tags:") && wf.contains("v*"), "{file} does not run on tags");
    }
}
