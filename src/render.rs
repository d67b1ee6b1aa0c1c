//! Stage 4: render the aggregated data through the minijinja templates under `templates/` into Typst
//! source.
//!
//! Data never becomes markup: in `*.typ.j2` templates every `{{ value }}` is emitted as a Typst string
//! literal (`#"…";`), so `#panic()`, `$x$`, `]` or `\` in a unit name is printed, not run. Markup
//! comes only from the templates themselves. In code position use `{{ value|str }}` (a bare string
//! literal) or `{{ value|num }}` (an integer).

use std::path::{Component, Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

use crate::diag::{Diagnostic, Loc, Severity, Source};
use crate::project::{Project, ReadError, TEMPLATES};

/// The main template of a circular.
pub(crate) const MAIN_TEMPLATE: &str = "circular.typ.j2";

/// Writes `s` as a Typst string literal: `"…"` with `\`, `"` and control characters escaped.
pub(crate) fn typst_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `s` for markup position: an embedded string literal closed by `;`, printed verbatim.
pub(crate) fn typst_markup(s: &str) -> String {
    format!("#{};", typst_string(s))
}

fn value_text(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_string(),
        None => value.to_string(),
    }
}

/// Typst code attaching a file to the PDF (`pdf.attach`); name, content and description reach
/// Typst as string literals.
pub(crate) fn attachment(name: &str, content: &str, description: &str) -> String {
    format!(
        "\n#pdf.attach({}, bytes({}), mime-type: \"application/json\", description: {})\n",
        typst_string(name),
        typst_string(content),
        typst_string(description)
    )
}

/// Builds the template environment reading from the project's `templates/` (through the
/// project's read gate: a template linked from outside the root is refused).
pub(crate) fn environment(project: &Project) -> Environment<'static> {
    let mut env = Environment::new();
    let project = project.clone();
    env.set_loader(move |name| {
        let Some(rel) = template_path(Path::new(TEMPLATES), name) else {
            return Ok(None);
        };
        match project.read(&rel) {
            Ok(bytes) => match crate::load::decode(&bytes) {
                Ok(text) => Ok(Some(text)),
                Err((msg, _)) => Err(Error::new(ErrorKind::InvalidOperation, format!("模板 {name}：{msg}"))),
            },
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("无法读取模板 {name}：{}", e.reason()),
            )),
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".typ.j2") {
            AutoEscape::Custom("typst".into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state: &mut State, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "typst") && !value.is_safe() {
            if value.is_none() || value.is_undefined() {
                return Ok(());
            }
            out.write_str(&typst_markup(&value_text(value)))?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("str", |value: Value| {
        Value::from_safe_string(typst_string(&value_text(&value)))
    });
    env.add_filter("num", |value: Value| -> Result<Value, Error> {
        i64::try_from(value.clone())
            .map(|n| Value::from_safe_string(n.to_string()))
            .map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("“{value}”不是整数，不能用 num 过滤器"),
                )
            })
    });
    env
}

/// `dir/name`, if `name` is a plain relative path (no `..`, not absolute).
fn template_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(rel))
}

/// Renders template `name` with `ctx`. A template error becomes a diagnostic naming the template
/// file and line.
pub(crate) fn render<S: serde::Serialize>(
    env: &Environment<'static>,
    project: &Project,
    name: &str,
    ctx: &S,
) -> Result<String, Diagnostic> {
    let ctx = Value::from(minijinja::value::Serde(ctx));
    let tmpl = env.get_template(name).map_err(|e| template_error(project, &e))?;
    tmpl.render(ctx).map_err(|e| template_error(project, &e))
}

fn template_error(project: &Project, err: &Error) -> Diagnostic {
    let what = match err.kind() {
        ErrorKind::TemplateNotFound => "找不到模板".to_string(),
        ErrorKind::UndefinedError => "模板引用了不存在的数据".to_string(),
        ErrorKind::SyntaxError => "模板语法错误".to_string(),
        ErrorKind::UnknownFilter => "模板用了未知的过滤器".to_string(),
        ErrorKind::UnknownFunction => "模板用了未知的函数".to_string(),
        ErrorKind::UnknownMethod => "模板用了未知的方法".to_string(),
        _ => "模板错误".to_string(),
    };
    let detail = err.detail().map(|d| format!("（{d}）")).unwrap_or_default();
    let help = match err.kind() {
        ErrorKind::UndefinedError => "检查模板中的名称是否与数据文件中的键一致（例如 公文.正文 下的键）",
        ErrorKind::TemplateNotFound => "模板应放在项目的 templates/ 文件夹中",
        _ => "请对照模板这一行修改",
    };
    let message = format!("{what}{detail}");
    let Some(name) = err.name() else {
        return Diagnostic::general(Severity::Error, "template", message).help(help);
    };
    let rel = Path::new(TEMPLATES).join(name);
    let line = err.line().unwrap_or(0);
    let text = project.read(&rel).ok().and_then(|b| String::from_utf8(b).ok());
    match (line, text) {
        (1.., Some(text)) => {
            let src = Source::new(rel, text);
            let (col, len) = err
                .range()
                .map(|r| {
                    let (_, col) = src.line_col(r.start);
                    (col, src.text.get(r.clone()).map_or(1, |s| s.chars().count()))
                })
                .unwrap_or((1, 1));
            Diagnostic::error("template", &Loc { src, line, col, len }, message).help(help)
        }
        _ => Diagnostic::in_file(Severity::Error, "template", &rel, message).help(help),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_everything_that_could_end_them() {
        assert_eq!(typst_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(typst_string("x\ny"), r#""x\ny""#);
        assert_eq!(typst_markup("#panic()"), "#\"#panic()\";");
    }

    #[test]
    fn values_are_escaped_and_markup_passes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(TEMPLATES)).unwrap();
        std::fs::write(
            dir.path().join(TEMPLATES).join("t.typ.j2"),
            "*{{ x }}* {{ n|num }} {{ x|str }}",
        )
        .unwrap();
        let project = Project::new(dir.path());
        let env = environment(&project);
        let out = render(&env, &project, "t.typ.j2", &serde_json::json!({"x": "]#x", "n": 3})).unwrap();
        assert_eq!(out, "*#\"]#x\";* 3 \"]#x\"");
    }

    #[test]
    fn template_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(TEMPLATES)).unwrap();
        std::fs::write(dir.path().join(TEMPLATES).join("t.typ.j2"), "ok\n{{ missing.x }}\n").unwrap();
        let project = Project::new(dir.path());
        let env = environment(&project);
        let d = render(&env, &project, "t.typ.j2", &serde_json::json!({})).unwrap_err();
        assert_eq!(d.file.as_deref(), Some(Path::new("templates/t.typ.j2")));
        assert_eq!(d.line, 2);
        assert!(d.message.contains("不存在的数据"), "{}", d.message);
        assert!(template_path(Path::new("/t"), "../etc/passwd").is_none());
    }
}
