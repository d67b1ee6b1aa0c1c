//! Stage 4: fill the month's text with its figures ([`text`]), then render the circular through the
//! minijinja templates under `templates/` into Typst source.
//!
//! Data never becomes markup: in `*.typ.j2` templates every `{{ value }}` is emitted as a Typst string
//! literal (`#"…";`), so `#panic()`, `$x$`, `]` or `\` in a unit name is printed, not run. Markup
//! comes only from the templates themselves. In code position use `{{ value|str }}` (a bare string
//! literal) or `{{ value|num }}` (an integer).

use std::path::{Component, Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

pub(crate) mod text;
pub(crate) mod title;
pub(crate) mod words;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aggregate::{Aggregate, MonthInfo, TableOut};
use crate::diag::{Code, Diagnostic, Loc, Severity, Source};
use crate::load::month::Layout;
use crate::load::page::{PageSpec, Role};
use crate::load::text::{Block, Line, prose};
use crate::load::{Data, Month};
use crate::project::{Project, ReadError, TEMPLATES};

/// The main template of a circular.
pub(crate) const MAIN_TEMPLATE: &str = "circular.typ.j2";
/// The circular as a web page (and, with `片段`, the fragment for a CMS editor).
pub(crate) const HTML_TEMPLATE: &str = "circular.html.j2";

/// A block of the body: a paragraph (`级别` 0), or a heading of level 1–4 standing alone (only
/// `标题`) or run in (`标题` then `正文` in the same paragraph).
#[derive(Debug, Serialize)]
pub(crate) struct BlockOut {
    pub 级别: u8,
    pub 标题: Option<String>,
    pub 正文: Option<String>,
}

/// An entry of the 附件说明 and the attachment it names.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentOut {
    pub 序号: usize,
    pub 名称: String,
    /// Table id.
    pub 表: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ColophonOut {
    pub 抄送: Option<String>,
    pub 印发机关: Option<String>,
    /// Written 2023年5月5日.
    pub 印发日期: Option<String>,
}

/// Layout switches (`版式`).
#[derive(Debug, Serialize)]
pub(crate) struct LayoutOut {
    pub 版头: bool,
    /// The 发文字号 printed without the red header, flush right above the title.
    pub 字号单列: bool,
    pub 发文机关标志: String,
    pub 份号: Option<String>,
    pub 密级: Option<String>,
    pub 紧急程度: Option<String>,
    /// A joint issuance's offices for the red mark, stacked, lead office first (empty otherwise).
    pub 联合标志: Vec<String>,
    /// Seals, one per office in order (empty: no seal).
    pub 印章: Vec<SealOut>,
    /// An upward document's 签发人 (printed beside the 发文字号).
    pub 签发人: Vec<String>,
    pub 版记: Option<ColophonOut>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SealOut {
    /// Root-relative path, with a leading slash for Typst.
    pub 图片: String,
    pub 直径: u64,
}

/// The circular's text with its figures, ready to lay out.
#[derive(Debug, Serialize)]
pub(crate) struct DocOut {
    /// The title in one piece (PDF metadata).
    pub 标题: String,
    /// The title's lines as printed: as the office broke them, or (written as one line) broken by
    /// words into balanced lines ([`title`]). Every output that sets the title in lines uses these.
    pub 标题行: Vec<String>,
    pub 主送: Option<String>,
    pub 正文: Vec<BlockOut>,
    pub 附件: Vec<AttachmentOut>,
    /// The lead office (PDF metadata, the default red mark).
    pub 发文机关: String,
    /// Every office that signs, in order (none when the date stands alone); an office whose
    /// seal another's stands for ends with `（代章）`.
    pub 署名: Vec<String>,
    /// Written 2023年5月5日 (or in Chinese numerals, as the text writes it).
    pub 成文日期: String,
    /// The contact line between the 附件说明 and the signature, without its parentheses.
    pub 联系: Option<String>,
    pub 附注: Option<String>,
    pub 发文字号: Option<String>,
    pub 版式: LayoutOut,
}

/// Font families by role key.
pub(crate) type Families = BTreeMap<&'static str, Vec<String>>;
/// By role key: the punctuation marks its face lacks or sets narrow, each with the face that serves
/// it instead.
pub(crate) type MarkFaces = BTreeMap<&'static str, Vec<(String, String)>>;

/// Everything the circular template sees.
#[derive(Debug, Serialize)]
pub(crate) struct Circular {
    pub 月份: MonthInfo,
    pub 公文: DocOut,
    pub 表: BTreeMap<String, TableOut>,
    /// Font families by role key.
    pub 字体: Families,
    /// Punctuation marks a role's face lacks or sets narrow, and the Chinese faces that serve them
    /// instead, by role key.
    pub 标点: MarkFaces,
    /// The words of every short text the layout may have to wrap (names in the 附件说明, headings,
    /// table cells), for breaking between words ([`words`]).
    pub 分词: BTreeMap<String, Vec<String>>,
    /// A draft's mark on every page (`草稿：3 处待填`); `None` for the circular itself.
    pub 草稿: Option<String>,
}

/// Fills month `month`'s text with its figures and breaks the title into lines. Every expression
/// that fails is an error; a hand-broken title line that splits a word is a warning (the second
/// value).
pub(crate) fn document(
    data: &Data,
    month: &Month,
    agg: &Aggregate,
    page: &PageSpec,
    draft: bool,
) -> Result<(DocOut, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Some(text) = &month.text else {
        return Err(Vec::new());
    };
    let scope = text::Scope { data, month, agg };
    let mut errors = Vec::new();
    let mut eval = |line: &Line| -> String {
        if draft {
            let (s, mut d) = text::evaluate_draft(&scope, line);
            errors.append(&mut d);
            return prose(&s);
        }
        match text::evaluate(&scope, line) {
            Ok(s) => prose(&s),
            Err(mut d) => {
                errors.append(&mut d);
                String::new()
            }
        }
    };
    let title: Vec<String> = text.title.iter().map(&mut eval).collect();
    let recipients = text.recipients.as_ref().map(&mut eval);
    let body = text
        .body
        .iter()
        .map(|b| match b {
            Block::Paragraph(line) => BlockOut {
                级别: 0,
                标题: None,
                正文: Some(eval(line)),
            },
            Block::Heading { level, line, split, .. } => BlockOut {
                级别: level.0,
                标题: Some(eval(&line.slice(0, *split))),
                正文: split.map(|at| eval(&line.slice(at, None))),
            },
        })
        .collect();
    // 附件说明: the names the text gives, else the tables' titles.
    let attachments = month
        .document
        .attachments
        .iter()
        .filter_map(|a| data.table_named(&a.table))
        .enumerate()
        .map(|(i, spec)| AttachmentOut {
            序号: i + 1,
            名称: match text.attachments.get(i) {
                Some(a) => eval(&a.name),
                None => agg.tables.get(&spec.id).map(|t| t.标题.clone()).unwrap_or_default(),
            },
            表: spec.id.clone(),
        })
        .collect();
    let issuers: Vec<String> = text.issuers.iter().map(&mut eval).collect();
    let note = text.note.as_ref().map(&mut eval);
    let contact = text.contact.as_ref().map(&mut eval);
    if !errors.is_empty() && !draft {
        return Err(errors);
    }
    let doc = &month.document;
    // The lead office, for the PDF's author and the red mark: the first that signs, else the
    // mark's own words.
    let offices: Vec<String> = issuers.iter().map(|o| office_name(o).to_string()).collect();
    let issuer = offices
        .first()
        .cloned()
        .or_else(|| doc.layout.header_mark.clone())
        .unwrap_or_default();
    let (lines, mut warnings) = title::lines(&title, &text.title, &names(data, &offices), page.title_capacity());
    // A draft's failures are reported with its warnings (the draft is made all the same).
    warnings.append(&mut errors);
    let out = DocOut {
        标题: title.concat(),
        标题行: lines,
        主送: recipients,
        正文: body,
        附件: attachments,
        成文日期: match (&text.date_numerals, text.date) {
            (Some(written), _) => written.clone(),
            (None, Some(d)) => d.chinese(),
            (None, None) if draft => crate::aggregate::pending_mark(Some("成文日期")),
            (None, None) => String::new(),
        },
        联系: contact,
        附注: note.or_else(|| doc.layout.note.as_ref().map(|n| prose(n))),
        发文字号: doc.number.as_ref().map(|(n, _)| n.clone()),
        版式: layout_out(&doc.layout, &offices, &issuer),
        发文机关: issuer,
        署名: issuers,
    };
    Ok((out, warnings))
}

/// An office as the signature names it, without the `（代章）` after it.
pub(crate) fn office_name(line: &str) -> &str {
    line.strip_suffix(crate::load::text::SEAL_BY_PROXY)
        .unwrap_or(line)
        .trim_end()
}

/// The project's own names, kept whole when a line breaks: the offices that sign and every unit
/// with its aliases and former names. (The tables' names are descriptions, broken between their
/// words like any text.)
pub(crate) fn names(data: &Data, issuers: &[String]) -> Vec<String> {
    let mut names: Vec<String> = issuers.to_vec();
    for unit in &data.registry.units {
        names.push(unit.name.clone());
        names.extend(unit.aliases.iter().map(|(a, _)| a.clone()));
        names.extend(unit.former.iter().map(|f| f.name.clone()));
    }
    names
}

/// The words of every short text the layout may wrap: the names in the 附件说明, the headings that
/// stand alone, and the tables' titles and the unit names that may wrap (a header's lines are decided here,
/// [`break_headers`]).
pub(crate) fn layout_words(
    names: &[String],
    doc: &DocOut,
    tables: &BTreeMap<String, TableOut>,
    page: &PageSpec,
) -> BTreeMap<String, Vec<String>> {
    let mut texts: Vec<&str> = doc.附件.iter().map(|a| a.名称.as_str()).collect();
    texts.extend(
        doc.正文
            .iter()
            .filter(|b| b.正文.is_none())
            .filter_map(|b| b.标题.as_deref()),
    );
    for t in tables.values() {
        texts.push(&t.标题);
        texts.extend(t.分表.iter().filter_map(|p| p.标题.as_deref()));
        // Only the names and texts that may wrap in their column (the estimate with a fifth to
        // spare): the template sets the others as they are, without measuring them (a month of
        // a thousand units would otherwise lay out every name twice).
        let roles = t.roles();
        let rooms = page.table_rooms(&roles);
        for (i, _) in roles.iter().enumerate().filter(|(_, r)| **r == Role::Name) {
            let room = rooms[i] * 0.8;
            texts.extend(
                t.rows()
                    .filter_map(|r| r.格.get(i).map(String::as_str))
                    .filter(|c| words::width(c, page.table_size) > room),
            );
        }
    }
    texts
        .into_iter()
        .filter(|t| t.chars().count() > 1)
        .map(|t| (t.to_string(), words::segment(t, names).words()))
        .collect()
}

/// Breaks each table's header into the lines its cells print it in: by its words, in the room the
/// page's table geometry gives each column ([`PageSpec::table_rooms`]); and says whether the table
/// is set on turned pages (the template turns it, the column widths follow).
pub(crate) fn break_headers<'a>(tables: impl IntoIterator<Item = &'a mut TableOut>, names: &[String], page: &PageSpec) {
    for t in tables {
        let roles = t.roles();
        t.转页 = PageSpec::table_turned(roles.len());
        let rooms = page.table_rooms(&roles);
        for cell in t.表头.iter_mut().flatten() {
            // A cell across several columns has their rooms and the insets between them.
            let spanned = rooms.iter().skip(cell.列).take(cell.跨列);
            let room = spanned.sum::<f64>() + 2.0 * page.cell_inset_x * (cell.跨列.saturating_sub(1)) as f64;
            cell.分行 = words::cell_lines(&words::segment(&cell.文字, names).words(), room, page.table_size);
        }
    }
}

/// The layout switches as the templates see them.
fn layout_out(layout: &Layout, issuers: &[String], issuer: &str) -> LayoutOut {
    LayoutOut {
        版头: layout.red_header,
        字号单列: layout.number_alone && !layout.red_header,
        发文机关标志: layout.header_mark.clone().unwrap_or_else(|| format!("{issuer}文件")),
        份号: layout.copy_number.clone(),
        密级: layout.secrecy.clone(),
        紧急程度: layout.urgency.clone(),
        联合标志: if issuers.len() > 1 {
            issuers.to_vec()
        } else {
            Vec::new()
        },
        印章: layout
            .seals
            .iter()
            .map(|s| SealOut {
                图片: format!("/{}", s.image.trim_start_matches('/')),
                直径: s.diameter_mm,
            })
            .collect(),
        签发人: layout.signers.iter().map(|(s, _)| s.clone()).collect(),
        版记: layout.colophon.as_ref().map(|c| ColophonOut {
            // Exactly one 。 closes the list, whatever the data ends with.
            抄送: c
                .copies
                .as_ref()
                .map(|s| prose(s).trim_end_matches(['。', '.', '，', ',', '；', ';']).to_string()),
            印发机关: c.printer.clone(),
            印发日期: c.printed.map(|d| d.chinese()),
        }),
    }
}

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
                Ok(text) => match crate::load::hygiene::refusal(&rel, &text) {
                    None => Ok(Some(text)),
                    Some(refusal) => Err(Error::new(ErrorKind::InvalidOperation, refusal)),
                },
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
    // Templates are code anyone who can push may change: a loop that never ends is stopped.
    env.set_fuel(Some(crate::limits::TEMPLATE_FUEL));
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
        } else if name.ends_with(".html.j2") {
            AutoEscape::Html
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
    // HTML templates: the text escaped, its web addresses as links.
    env.add_filter("links", |value: Value| {
        Value::from_safe_string(links(&value_text(&value)))
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

/// HTML for `text`: escaped, each web address (`http://…`, `https://…`, up to the first character
/// that cannot be in one, less trailing punctuation) a link to itself.
pub(crate) fn links(text: &str) -> String {
    let escape = |s: &str| minijinja::HtmlEscape(s).to_string();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = ["http://", "https://"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&escape(&rest[..at]));
        let tail = &rest[at..];
        let len = tail
            .find(|c: char| !c.is_ascii_graphic() || matches!(c, '"' | '<' | '>' | '\\' | '`'))
            .unwrap_or(tail.len());
        let url = tail[..len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
        out.push_str(&format!("<a href=\"{0}\">{0}</a>", escape(url)));
        rest = &tail[url.len()..];
    }
    out.push_str(&escape(rest));
    out
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
    let detail = err.detail().unwrap_or("");
    let what = match err.kind() {
        ErrorKind::TemplateNotFound => "找不到模板（模板或它引入的文件不在 templates/ 中）",
        ErrorKind::UndefinedError => "模板引用了不存在的数据",
        ErrorKind::SyntaxError => "模板语法错误",
        ErrorKind::UnknownFilter => "模板用了未知的过滤器",
        ErrorKind::UnknownTest => "模板用了未知的测试（is …）",
        ErrorKind::UnknownFunction => "模板用了未知的函数",
        ErrorKind::UnknownMethod => "模板用了未知的方法",
        ErrorKind::UnknownBlock => "模板调用了不存在的块",
        ErrorKind::TooManyArguments => "模板给函数或过滤器的参数过多",
        ErrorKind::MissingArgument => "模板调用函数或过滤器时缺少参数",
        ErrorKind::BadEscape => "模板的字符串中有无效的转义",
        ErrorKind::NonPrimitive | ErrorKind::NonKey => "模板对这种值不能这样用",
        ErrorKind::CannotUnpack => "模板无法拆开这个值",
        ErrorKind::BadInclude => "模板引入的文件出错",
        ErrorKind::EvalBlock => "模板的块出错",
        ErrorKind::OutOfFuel => "模板运行的步骤超过上限（可能是死循环或过大的循环）",
        ErrorKind::BadSerialization | ErrorKind::CannotDeserialize => "模板的数据无法转换",
        ErrorKind::WriteFailure => "模板输出失败",
        ErrorKind::InvalidDelimiter => "模板的定界符设置有误",
        _ if detail.contains("recursion") => "模板递归或嵌套过深",
        _ => "模板错误",
    };
    let help = match err.kind() {
        ErrorKind::UndefinedError => "检查模板中的名称是否与数据文件中的键一致（例如 公文.正文 下的键）",
        ErrorKind::TemplateNotFound => "模板应放在项目的 templates/ 文件夹中",
        _ => "请对照模板这一行修改",
    };
    // Our own messages (the loader's, the filters') are Chinese already: they are the message.
    let own = detail.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let message = if own {
        format!("{what}：{detail}")
    } else {
        what.to_string()
    };
    let english = (!own).then(|| err.to_string());
    let d = locate_template_error(project, err, message).help(help);
    match english {
        Some(e) => d.detail(e),
        None => d,
    }
}

fn locate_template_error(project: &Project, err: &Error, message: String) -> Diagnostic {
    let Some(name) = err.name() else {
        return Diagnostic::general(Severity::Error, Code::Template, message);
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
            Diagnostic::error(Code::Template, &Loc { src, line, col, len }, message)
        }
        _ => Diagnostic::in_file(Severity::Error, Code::Template, &rel, message),
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
    fn web_addresses_become_links_and_the_rest_stays_text() {
        // Escaped as every value of an HTML template is (`/` too).
        let url = "http:&#x2f;&#x2f;www.xncz.gov.cn&#x2f;zwgk&#x2f;bmxxgk.htm";
        assert_eq!(
            links("栏目（http://www.xncz.gov.cn/zwgk/bmxxgk.htm）公布"),
            format!(r#"栏目（<a href="{url}">{url}</a>）公布"#)
        );
        let url = "https:&#x2f;&#x2f;a.example&#x2f;x?y=1&amp;z=2";
        assert_eq!(
            links("见 https://a.example/x?y=1&z=2. <b>"),
            format!(r#"见 <a href="{url}">{url}</a>. &lt;b&gt;"#)
        );
        assert_eq!(
            links("http://\"onmouseover=x"),
            r#"<a href="http:&#x2f;&#x2f;">http:&#x2f;&#x2f;</a>&quot;onmouseover=x"#
        );
        assert_eq!(links("无网址"), "无网址");
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
