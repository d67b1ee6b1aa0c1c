//! `tongbao diff`, `tongbao log`, `tongbao blame`: the data's history, in figures.

use unicode_width::UnicodeWidthStr;

use super::verify::short;
use super::{Error, Result, Status, month_name};
use crate::args::{BlameArgs, DiffArgs, Format, LogArgs};
use crate::audit::repo::{GitError, Repo};
use crate::audit::{self, Filter, RegistryChange, TableDiff, TextChange};
use crate::calendar::MonthId;
use crate::project::Project;

/// Opens the repository and runs `query` on it; git's problems become errors.
fn query<T>(project: &Project, query: impl FnOnce(&mut Repo) -> std::result::Result<T, GitError>) -> Result<T> {
    let mut repo = Repo::open(project.root()).map_err(|e| Error::Usage(e.0))?;
    query(&mut repo).map_err(|e| Error::Failed(format!("错误：{}", e.0)))
}

/// A table named on the command line (its 简称, id or file name, as `import` takes it) must be
/// one of the tables described at HEAD: a misspelt name is refused, not answered with nothing.
/// Returns the table's id, which names it in every revision (a 简称 given later does not name it
/// in the months before).
fn known_table(project: &Project, name: Option<&str>) -> Result<Option<String>> {
    let Some(name) = name else { return Ok(None) };
    let specs = query(project, |repo| audit::tables_at(repo, "HEAD"))?;
    if let Some(spec) = specs.iter().find(|s| crate::load::names_table(s, name)) {
        return Ok(Some(spec.id.clone()));
    }
    let known: Vec<String> = specs
        .iter()
        .map(|s| format!("{}（{}.yaml）", s.expression_name(), s.id))
        .collect();
    Err(Error::Usage(format!(
        "没有名为“{}”的表；可用的表：{}",
        crate::diag::shorten(name, 40),
        known.join("、")
    )))
}

/// Prints `value` as pretty JSON.
fn json<T: serde::Serialize>(value: &T) {
    say!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// Pads `s` to `width` display columns (CJK characters count two).
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

fn value(v: Option<crate::load::number::Num>) -> String {
    v.map_or("—".to_string(), |v| v.to_string())
}

fn print_registry(changes: &[RegistryChange], indent: &str) {
    for c in changes {
        let line = match c {
            RegistryChange::Renamed { from, to } => format!("改名  {from} → {to}"),
            RegistryChange::Added { unit } => format!("新增  {unit}"),
            RegistryChange::Removed { unit } => format!("删除  {unit}"),
            RegistryChange::Aliases { unit, added, removed } => {
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("增加别名 {}", added.join("、")));
                }
                if !removed.is_empty() {
                    parts.push(format!("去掉别名 {}", removed.join("、")));
                }
                format!("别名  {unit}：{}", parts.join("；"))
            }
            RegistryChange::Kind { unit, from, to } => format!("类别  {unit}：{from} → {to}"),
        };
        say!("{indent}{line}");
    }
}

fn print_table(t: &TableDiff, indent: &str) {
    say!("{indent}{} {}", t.month, t.name);
    let unit_w = t.figures.iter().map(|f| f.unit.width()).max().unwrap_or(0).max(4);
    let label_w = t.figures.iter().map(|f| f.label.width()).max().unwrap_or(0);
    let old_w = t.figures.iter().map(|f| value(f.old).len()).max().unwrap_or(0);
    let mut last_unit = "";
    for f in &t.figures {
        let unit = if f.unit == last_unit { "" } else { f.unit.as_str() };
        last_unit = &f.unit;
        say!(
            "{indent}  {}  {}  {:>old_w$} → {}",
            pad(unit, unit_w),
            pad(&f.label, label_w),
            value(f.old),
            value(f.new)
        );
    }
    if !t.added.is_empty() {
        say!("{indent}  新增单位：{}", t.added.join("、"));
    }
    if !t.removed.is_empty() {
        say!("{indent}  删除单位：{}", t.removed.join("、"));
    }
    if t.reordered {
        say!("{indent}  单位顺序有调整");
    }
}

fn print_texts(texts: &[TextChange], indent: &str) {
    for t in texts {
        say!("{indent}{} {}：{}", t.month, t.key, t.inline);
    }
}

/// `tongbao diff REV1 [REV2] [MONTH]`.
pub(crate) fn diff(project: &Project, args: &DiffArgs) -> Result {
    let from = args.rev1.as_str();
    // `diff REV MONTH`: a month in the second place.
    let (to, month) = match (args.rev2.as_deref(), args.month.as_deref()) {
        (Some(t), None) if MonthId::parse(t).is_some() => ("HEAD", Some(t)),
        (to, month) => (to.unwrap_or("HEAD"), month),
    };
    let month = month.map(month_name).transpose()?.map(|m| m.name());
    let month = month.as_deref();
    let id = known_table(project, args.table.as_deref())?;
    let table = id.as_deref();
    let d = query(project, |repo| audit::diff(repo, from, to, month, table))?;
    if args.format == Format::Json {
        json(&d);
        return Ok(Status::Clean);
    }
    say!("数据变化：{} → {}", short(&d.from), short(&d.to));
    if d.registry.is_empty() && d.tables.is_empty() && d.texts.is_empty() && d.printed.is_empty() && d.other.is_empty()
    {
        say!("没有变化");
        return Ok(Status::Clean);
    }
    if !d.registry.is_empty() {
        say!("\n单位名录");
        print_registry(&d.registry, "  ");
    }
    for t in &d.tables {
        say!();
        print_table(t, "");
    }
    if !d.texts.is_empty() {
        say!("\n文字（通报.txt 的写法）");
        print_texts(&d.texts, "  ");
    }
    if !d.printed.is_empty() {
        say!("\n印出的文字（按各自版本的数据算出表达式）");
        print_texts(&d.printed, "  ");
    }
    if !d.other.is_empty() {
        say!("\n其他改动的文件：{}", d.other.join("、"));
    }
    Ok(Status::Clean)
}

/// What a history read from a shallow clone lacks, and how to get it.
fn shallow_note(edge: &str) -> String {
    format!(
        "注意：这是浅克隆（shallow clone），本地只有提交 {} 以来的历史，更早的修改不在这里；运行 git fetch --unshallow 取得全部历史",
        short(edge)
    )
}

/// `tongbao log [MONTH] [--table T] [--unit U]`.
pub(crate) fn log(project: &Project, args: &LogArgs) -> Result {
    let filter = Filter {
        month: args.month.as_deref().map(month_name).transpose()?.map(|m| m.name()),
        table: known_table(project, args.table.as_deref())?,
        unit: args.unit.clone(),
    };
    let entries = query(project, |repo| audit::log(repo, &filter))?;
    if args.format == Format::Json {
        json(&entries);
        return Ok(Status::Clean);
    }
    if entries.is_empty() {
        say!("没有找到相关的修改记录");
    }
    if let Some(edge) = entries.iter().find(|e| e.boundary) {
        say!("{}\n", shallow_note(&edge.commit));
    }
    for e in &entries {
        if e.boundary {
            say!(
                "提交 {}  （浅克隆的边界：下面是那时已有的全部内容，不是这次提交的改动）",
                short(&e.commit)
            );
            say!();
            continue;
        }
        say!("提交 {}  {}  {}", short(&e.commit), e.author, e.date);
        say!("    {}", e.message);
        print_registry(&e.registry, "  ");
        for t in &e.tables {
            print_table(t, "  ");
        }
        print_texts(&e.texts, "  ");
        say!();
    }
    if let Some(month) = &filter.month {
        let editions = query(project, |repo| editions_in_history(repo, project, month))?;
        if !editions.is_empty() {
            say!("{month} 发布的版次：");
        }
        for (commit, e) in &editions {
            let reason = e.reason.as_deref().map(|r| format!("  更正：{r}")).unwrap_or_default();
            say!(
                "  第{}版  {}  提交 {}{reason}",
                e.number,
                e.date.chinese(),
                short(commit)
            );
        }
    }
    Ok(Status::Clean)
}

/// `tongbao blame MONTH TABLE UNIT COLUMN`.
pub(crate) fn blame(project: &Project, args: &BlameArgs) -> Result {
    let BlameArgs {
        month,
        table,
        unit,
        column,
        format,
    } = args;
    let month = &month_name(month)?.name();
    let id = known_table(project, Some(table))?.unwrap_or_default();
    let history = query(project, |repo| audit::blame(repo, month, &id, unit, column))?;
    if *format == Format::Json {
        json(&history);
        return Ok(if history.is_empty() {
            Status::Problems
        } else {
            Status::Clean
        });
    }
    let Some(last) = history.first() else {
        // The arguments as the user typed them, shortened: a message never echoes 100 KB.
        let [table, unit, column] = [table, unit, column].map(|a| crate::diag::shorten(a, 40));
        return Err(Error::Failed(format!(
            "没有找到 {month} {table} 中“{unit}”的“{column}”（检查月份、表名、单位和列名，列名可用键或表头，如 本月 或 本月投诉）"
        )));
    };
    say!("{month} {table} · {unit} · {column} = {}", value(last.value));
    if last.boundary {
        say!("最后修改：早于 {}，本地的历史不完整，不知道是谁", short(&last.commit));
    } else {
        say!(
            "最后修改：{} {} {} “{}”",
            short(&last.commit),
            last.author,
            last.date,
            last.message
        );
    }
    say!("历史（新的在前）：");
    for h in &history {
        if h.boundary {
            say!(
                "  {}  （浅克隆的边界：在此或更早设为 {}）",
                short(&h.commit),
                value(h.value)
            );
            continue;
        }
        say!(
            "  {}  {}  {}  {:>6}  {}",
            short(&h.commit),
            h.date,
            pad(&h.author, 8),
            value(h.value),
            h.message
        );
    }
    if let Some(edge) = history.iter().find(|h| h.boundary) {
        say!("{}", shallow_note(&edge.commit));
    }
    let issued = query(project, |repo| printed_by_edition(repo, project, month, &history))?;
    if !issued.is_empty() {
        say!("发布的版次：");
        for (edition, printed) in &issued {
            let reason = edition
                .reason
                .as_deref()
                .map(|r| format!("  更正：{r}"))
                .unwrap_or_default();
            say!(
                "  第{}版  {}  印 {}{reason}",
                edition.number,
                edition.date.chinese(),
                value(*printed)
            );
        }
    }
    Ok(Status::Clean)
}

/// Each edition of month `month`'s issue record, oldest first, with the commit that recorded it.
fn editions_in_history(
    repo: &mut Repo,
    project: &Project,
    month: &str,
) -> std::result::Result<Vec<(String, crate::issue::Edition)>, GitError> {
    let record = crate::pipeline::slashed(&crate::issue::record_path(project, month));
    let mut out: Vec<(String, crate::issue::Edition)> = Vec::new();
    for commit in repo.log(&record)? {
        for (path, _, new) in &commit.changes {
            let Some(text) = (match (path == &record, new) {
                (true, Some(blob)) => repo.blob(blob)?,
                _ => None,
            }) else {
                continue;
            };
            let editions = crate::issue::parse_editions(&crate::diag::Source::new(path.as_str(), text));
            let known = out.len();
            out.extend(editions.into_iter().skip(known).map(|e| (commit.hash.clone(), e)));
        }
    }
    Ok(out)
}

/// What each edition printed for the figure whose `history` (newest first) blame found: its
/// value as of the commit that recorded the edition.
fn printed_by_edition(
    repo: &mut Repo,
    project: &Project,
    month: &str,
    history: &[audit::BlameEntry],
) -> std::result::Result<Vec<(crate::issue::Edition, Option<crate::load::number::Num>)>, GitError> {
    let editions = editions_in_history(repo, project, month)?;
    if editions.is_empty() {
        return Ok(Vec::new());
    }
    let mut value = None;
    let mut out = Vec::new();
    let mut next = editions.into_iter().peekable();
    for commit in repo.log(crate::project::DATA)? {
        if let Some(h) = history.iter().find(|h| h.commit == commit.hash) {
            value = h.value;
        }
        while let Some((_, edition)) = next.next_if(|(c, _)| *c == commit.hash) {
            out.push((edition, value));
        }
    }
    Ok(out)
}
