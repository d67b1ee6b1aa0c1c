//! The editor a click on the preview opens at a source line: `watch --editor` or
//! `TONGBAO_EDITOR`, a template with `{文件}` and `{行}` in it. A template with `://` is a link
//! the browser follows (`vscode://file/{文件}:{行}`, the default); any other is a command the
//! preview runs itself, without a shell (`notepad++ -n{行} {文件}`, `code -g {文件}:{行}`).

use std::path::Path;

/// The placeholders of a template.
const FILE: &str = "{文件}";
const LINE: &str = "{行}";

/// The default: Visual Studio Code's link, which most editors' users have.
const DEFAULT: &str = "vscode://file/{文件}:{行}";

/// How the preview opens a source line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Editor {
    /// A link the browser follows.
    Link(String),
    /// A program and its arguments, run by the preview.
    Command(Vec<String>),
}

impl Default for Editor {
    fn default() -> Self {
        Editor::Link(DEFAULT.to_string())
    }
}

impl Editor {
    /// Reads a template; the message says what is wrong with one that cannot be used.
    pub(crate) fn parse(template: &str) -> Result<Editor, String> {
        let template = template.trim();
        if !template.contains(FILE) {
            return Err(format!(
                "编辑器命令“{}”中没有 {FILE}；请写明文件的位置，例如 \"code -g {FILE}:{LINE}\" 或 \"{DEFAULT}\"",
                crate::diag::shorten(template, 60)
            ));
        }
        if template.contains("://") {
            return Ok(Editor::Link(template.to_string()));
        }
        match shlex::split(template) {
            Some(words) if !words.is_empty() => Ok(Editor::Command(words)),
            _ => Err(format!(
                "无法读取编辑器命令“{}”：引号没有成对",
                crate::diag::shorten(template, 60)
            )),
        }
    }

    /// The link for `path` at `line`, for a link template.
    pub(crate) fn link(&self, path: &Path, line: usize) -> Option<String> {
        let Editor::Link(template) = self else { return None };
        let path = path.to_string_lossy().replace('\\', "/");
        let path = path.strip_prefix('/').unwrap_or(&path);
        let encoded: String = path.split('/').map(percent_encode).collect::<Vec<_>>().join("/");
        Some(template.replace(FILE, &encoded).replace(LINE, &line.to_string()))
    }

    /// Runs the command for `path` at `line`; the message says, in Chinese, why it could not
    /// start. The program is not waited for.
    pub(crate) fn open(&self, path: &Path, line: usize) -> Result<(), String> {
        let Editor::Command(words) = self else {
            return Err("编辑器是链接，由浏览器打开".into());
        };
        let fill = |w: &String| {
            w.replace(FILE, &path.to_string_lossy())
                .replace(LINE, &line.to_string())
        };
        let mut command = std::process::Command::new(fill(&words[0]));
        command
            .args(words[1..].iter().map(fill))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        match command.spawn() {
            Ok(mut child) => {
                // Reaped when it ends, so no zombie is left behind.
                std::thread::spawn(move || child.wait());
                Ok(())
            }
            Err(e) => Err(format!(
                "无法启动编辑器 {}：{}",
                crate::diag::shorten(&words[0], 60),
                crate::project::io_reason(&e)
            )),
        }
    }
}

/// A path segment as it may stand in a URL: unreserved ASCII kept, everything else %-encoded
/// (an editor's link handler decodes it back).
fn percent_encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_commands_are_told_apart() {
        let path = Path::new("/home/办公室/通报/data/2023-03/通报.txt");
        let link = Editor::default().link(path, 12).unwrap();
        assert_eq!(
            link,
            "vscode://file/home/%E5%8A%9E%E5%85%AC%E5%AE%A4/%E9%80%9A%E6%8A%A5/data/2023-03/%E9%80%9A%E6%8A%A5.txt:12"
        );
        let idea = Editor::parse("idea://open?file={文件}&line={行}").unwrap();
        assert!(
            idea.link(Path::new("/a b/c.txt"), 3)
                .unwrap()
                .ends_with("a%20b/c.txt&line=3")
        );
        let command = Editor::parse("notepad++ -n{行} '{文件}'").unwrap();
        assert_eq!(
            command,
            Editor::Command(vec!["notepad++".into(), "-n{行}".into(), "{文件}".into()])
        );
        assert_eq!(command.link(path, 1), None);
        assert!(Editor::parse("code -g").unwrap_err().contains("{文件}"));
        assert!(Editor::parse("code '{文件}").unwrap_err().contains("引号"));
    }

    #[test]
    fn a_command_runs_with_the_file_and_line_and_no_shell() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("opened");
        let script = format!("sh -c 'printf \"%s\" \"$0 $1\" > {}' {{文件}} {{行}}", out.display());
        let editor = Editor::parse(&script).unwrap();
        editor.open(Path::new("/p/通报 $(x).txt"), 7).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !out.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "/p/通报 $(x).txt 7");
        let missing = Editor::parse("no-such-editor-here {文件}").unwrap();
        let message = missing.open(Path::new("/p/a.txt"), 1).unwrap_err();
        assert!(message.starts_with("无法启动编辑器 no-such-editor-here："), "{message}");
    }
}
