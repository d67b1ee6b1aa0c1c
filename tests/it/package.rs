//! The Debian package: scripts/package builds it around the tested binary, apt installs it, and
//! the installed tongbao starts a new office (`init`, with the fonts from /usr/share/tongbao) and
//! builds its circular; then the package is removed. Needs root (CI runs as root) or sudo.

use std::path::Path;
use std::process::Command;

use crate::init::{OFFICE, checks_and_builds, units_csv};
use crate::util::{output, repo};

/// `apt-get` as root: directly, or through sudo without a password; None when neither works.
fn apt() -> Option<Vec<String>> {
    let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    if root {
        return Some(vec!["apt-get".into()]);
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .ok()?
        .status
        .success();
    sudo.then(|| vec!["sudo".into(), "-n".into(), "apt-get".into()])
}

fn apt_get(apt: &[String], args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(&apt[0])
        .args(&apt[1..])
        .args(args)
        .current_dir(dir)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap()
}

/// Removes the package when the test ends, passed or not.
struct Installed<'a>(&'a [String]);

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let out = apt_get(self.0, &["remove", "-y", "-qq", "tongbao"], Path::new("/"));
        assert!(out.status.success() || std::thread::panicking(), "{}", output(&out));
    }
}

#[test]
fn the_debian_package_installs_inits_and_builds() {
    let Some(apt) = apt() else {
        eprintln!("SKIPPED the_debian_package_installs_inits_and_builds: needs root or sudo to install the package");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(repo().join("scripts/package"))
        .args([
            "--binary",
            env!("CARGO_BIN_EXE_tongbao"),
            "--compression",
            "none",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output(&out));
    let deb = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let name = Path::new(&deb).file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with(&format!("tongbao_{}-1_", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );

    let out = apt_get(&apt, &["install", "-y", "-qq", &format!("./{name}")], dir.path());
    assert!(out.status.success(), "{}", output(&out));
    let _installed = Installed(&apt);
    for file in [
        "/usr/bin/tongbao",
        "/usr/share/man/man1/tongbao.1.gz",
        "/usr/share/man/man1/tongbao-init.1.gz",
        "/usr/share/bash-completion/completions/tongbao",
        "/usr/share/zsh/vendor-completions/_tongbao",
        "/usr/share/fish/vendor_completions.d/tongbao.fish",
        "/usr/share/doc/tongbao/copyright",
        "/usr/share/tongbao/fonts/FandolFang-Regular.otf",
        "/usr/share/tongbao/fonts/FandolFang-LICENSE.txt",
        "/usr/share/tongbao/fonts/NotoCJK-LICENSE.txt",
    ] {
        assert!(Path::new(file).exists(), "{file} not installed");
    }

    // The installed tongbao, by its installed path: a new office in a temporary folder.
    let work = tempfile::tempdir().unwrap();
    let units = units_csv(work.path());
    let installed = |args: &[&str]| {
        Command::new("/usr/bin/tongbao")
            .args(args)
            .current_dir(work.path())
            .env("HOME", work.path())
            .output()
            .unwrap()
    };
    let out = installed(&[
        "init",
        "office",
        "--office",
        OFFICE,
        "--units",
        units.to_str().unwrap(),
        "--month",
        "2026-03",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("取自 /usr/share/tongbao/fonts"),
        "the fonts come from the package: {}",
        output(&out)
    );
    checks_and_builds(installed, &work.path().join("office"), "2026-03");
}
