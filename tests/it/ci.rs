//! The CI definitions for the forges offices run are valid against the forges' own schemas
//! (check-jsonschema's vendored copies; scripts/test installs it) and run the README's commands.

use crate::util::repo;

fn lint(schema: &str, files: &[&str]) {
    let run = |program: &str, pre: &[&str]| {
        std::process::Command::new(program)
            .args(pre)
            .arg("--builtin-schema")
            .arg(schema)
            .args(files.iter().map(|f| repo().join(f)))
            .output()
    };
    let out = run("check-jsonschema", &[])
        .or_else(|_| run("python3", &["-m", "check_jsonschema"]))
        .expect("check-jsonschema must be installed (scripts/test installs it with pip)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn github_gitea_and_forgejo_workflows_are_valid() {
    lint(
        "vendor.github-workflows",
        &[".github/workflows/tongbao.yml", ".gitea/workflows/tongbao.yml"],
    );
}

#[test]
fn gitlab_ci_is_valid() {
    lint("vendor.gitlab-ci", &[".gitlab-ci.yml"]);
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
