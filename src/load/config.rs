//! The project's optional configuration file `tongbao.yaml`: font preferences per role and the
//! outputs a build makes besides the PDF.
//!
//! ```yaml
//! 字体:
//!   正文: [仿宋_GB2312, FandolFang]
//! 输出: [pdf, html]
//! ```

use std::path::Path;

use super::yaml::{self, Reader};
use crate::diag::{Code, Diagnostic, Loc};
use crate::project::{CONFIG, Project};

/// Role names as written in `tongbao.yaml`, and the keys the templates use.
pub(crate) const ROLES: [(&str, &str); 6] = [
    ("标题", "title"),
    ("正文", "body"),
    ("一级标题", "heading1"),
    ("二级标题", "heading2"),
    ("页码", "page"),
    ("西文", "latin"),
];

/// What the configuration asks for; empty when there is no file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// Role key (`body` …) → families in order of preference, replacing the defaults.
    pub fonts: Vec<(&'static str, Vec<String>)>,
    /// The outputs a build makes, as written (checked when the build plan is resolved, by the
    /// outputs' owner); empty: the PDF alone.
    pub outputs: Vec<(String, Loc)>,
    /// The kinds of warning the office does not issue with (`发布前须解决: [period-overlap]`, by
    /// the codes' stable names).
    pub blocking: Vec<Code>,
    /// The certificates a signature must chain to (`信任的证书`: PEM files in the project), as
    /// written, for `tongbao verify`.
    pub trusted: Vec<(String, Loc)>,
    /// The timestamp authority (RFC 3161, `时间戳服务`) signatures are timestamped by (PAdES
    /// B-T); none: B-B.
    pub timestamp: Option<url::Url>,
}

/// Reads `tongbao.yaml` if present. With errors (reported in `diags`) the defaults are kept.
pub(crate) fn load(project: &Project, diags: &mut Vec<Diagnostic>) -> Config {
    let rel = Path::new(CONFIG);
    if !project.path(rel).exists() {
        return Config::default();
    }
    let mut problems = Vec::new();
    let config = super::read_source(project, rel)
        .map_err(|d| problems.push(d))
        .ok()
        .and_then(|src| super::parse_with(&src, &mut problems, read));
    let failed = problems.iter().any(Diagnostic::is_error);
    diags.append(&mut problems);
    if failed {
        Config::default()
    } else {
        config.unwrap_or_default()
    }
}

fn read(r: &mut Reader, tree: &yaml::Node) -> Option<Config> {
    let mut config = Config::default();
    let mut top = r.map(tree, "配置")?;
    if let Some(node) = top.opt("字体")
        && let Some(mut m) = r.map(node, "字体")
    {
        for (zh, key) in ROLES {
            if let Some(list) = m.opt(zh) {
                let families = r.texts(list, zh).into_iter().map(|(t, _)| t).collect();
                config.fonts.push((key, families));
            }
        }
        r.finish(m, &ROLES.map(|(zh, _)| zh));
    }
    if let Some(node) = top.opt("输出") {
        config.outputs = r.texts(node, "输出");
    }
    if let Some(node) = top.opt("发布前须解决") {
        for (name, loc) in r.texts(node, "发布前须解决") {
            match Code::ALL.iter().find(|c| c.as_str() == name || c.name() == name) {
                Some(code) => config.blocking.push(*code),
                None => r.push(
                    Diagnostic::error(Code::UnknownValue, &loc, format!("“{name}”不是诊断代码"))
                        .help("写警告的代码，如 period-overlap、computed-differs（见 docs/诊断代码.md）"),
                ),
            }
        }
    }
    if let Some(node) = top.opt("信任的证书") {
        config.trusted = r.texts(node, "信任的证书");
    }
    if let Some(node) = top.opt("时间戳服务")
        && let Some(text) = r.text(node, "时间戳服务")
    {
        match url::Url::parse(text.trim()) {
            Ok(url) if url.scheme() == "http" && url.host_str().is_some() => config.timestamp = Some(url),
            _ => r.push(
                Diagnostic::error(
                    Code::UnknownValue,
                    &node.loc,
                    format!("“{}”不是时间戳服务的地址", crate::diag::shorten(&text, 60)),
                )
                .help("写发证机构给的 RFC 3161 时间戳服务地址，以 http:// 开头，如 http://tsa.example.cn/tsa"),
            ),
        }
    }
    r.finish(top, &["字体", "输出", "发布前须解决", "信任的证书", "时间戳服务"]);
    Some(config)
}
