//! `tongbao init DIR --office NAME --units FILE`: a new office's project in one command.
//!
//! What it makes checks and builds at once: the registry from the units file, the starting table
//! descriptions (`starter/tables/`), `tongbao.yaml`, the templates and fonts this tongbao ships, a
//! first month whose tables list every unit with **sample figures** (示例, marked so in every file:
//! `check` passes and `build` makes a complete circular with the office's name in its title and
//! signature, which the staff then fill with their own figures), the CI files of the forges, a git
//! repository and the hooks. Every file goes through the project's write gate; an existing project
//! is never overwritten.

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use super::{Error, Result, Status};
use crate::args::InitArgs;
use crate::calendar::{self, Date, MonthId};
use crate::load::table_file::{RowText, TableFile, scalar};
use crate::project::{CONFIG, DATA, FONTS, Project, REGISTRY, TABLES, TEMPLATES, TEXT};
use crate::sheet::{self, Cell};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The starting table descriptions: (id, file text). The id is also the 简称.
const TABLE_FILES: [(&str, &str); 3] = [
    ("督办", include_str!("../../starter/tables/督办.yaml")),
    ("热线", include_str!("../../starter/tables/热线.yaml")),
    ("网站", include_str!("../../starter/tables/网站.yaml")),
];

/// The line of the starter `tongbao.yaml` that stands for the outputs' comment.
const OUTPUTS_COMMENT: &str = "# {输出}";

/// Files copied as they are: (path in the project, text).
const FILES: [(&str, &str); 5] = [
    (CONFIG, include_str!("../../starter/tongbao.yaml")),
    (".gitignore", include_str!("../../starter/gitignore")),
    (
        ".github/workflows/tongbao.yml",
        include_str!("../../starter/ci/github.yml"),
    ),
    (
        ".gitea/workflows/tongbao.yml",
        include_str!("../../starter/ci/gitea.yml"),
    ),
    (".gitlab-ci.yml", include_str!("../../starter/ci/gitlab-ci.yml")),
];

/// One unit of the office, from the units file.
struct Unit {
    name: String,
    kind: String,
    aliases: Vec<String>,
}

/// What `init` was asked for, once the questions are answered.
struct Asked {
    dir: PathBuf,
    office: String,
    units: PathBuf,
    month: MonthId,
}

pub(crate) fn run(args: &InitArgs) -> Result {
    let asked = ask(args)?;
    check_office(&asked.office)?;
    let units = read_units(&asked.units)?;
    if asked.dir.join(DATA).exists() || asked.dir.join(CONFIG).exists() {
        return Err(Error::Usage(format!(
            "{} 已经是 tongbao 项目（其中有 data/ 或 tongbao.yaml），不会覆盖",
            asked.dir.display()
        )));
    }
    std::fs::create_dir_all(&asked.dir).map_err(|e| Error::Usage(format!("无法建立 {}：{e}", asked.dir.display())))?;
    let project = Project::new(&asked.dir);
    let written = write_project(&project, &asked, &units)?;
    let fonts = copy_fonts(&project)?;
    super::new::schemas(&project)?;
    say!(
        "已建立 {}：{} 个单位，{} 张表，第一个月份 data/{}（示例数字），{}",
        asked.dir.display(),
        units.len(),
        TABLE_FILES.len(),
        asked.month.name(),
        written.join("、")
    );
    match fonts {
        Some((n, from)) => say!("已复制 {n} 个字体文件到 fonts/（取自 {}）", from.display()),
        None => tell!(
            "警告：没有找到 tongbao 自带的字体（fonts/ 文件夹）；请把字体文件复制到 {}/fonts/，否则通报中的汉字无法显示",
            asked.dir.display()
        ),
    }
    git_and_hooks(&project);
    tell!(
        "下一步：cd {} && tongbao build，打开 out/{}/circular.pdf 看一看；然后用 tongbao import 导入本月的数字（或直接改写 data/{}/ 中的数字，它们现在是示例），改正文 data/{}/{TEXT}，tongbao check 通过后提交",
        asked.dir.display(),
        asked.month.name(),
        asked.month.name(),
        asked.month.name()
    );
    Ok(Status::Clean)
}

/// The arguments, with what is missing asked on a terminal (and refused elsewhere).
fn ask(args: &InitArgs) -> Result<Asked> {
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    let mut question = |what: &str, hint: &str, flag: &str| -> Result<String> {
        if !terminal {
            return Err(Error::Usage(format!(
                "缺少{what}：请用 {flag} 给出（例如 tongbao init 城中区通报 --office 西宁市城中区人民政府办公室 --units 单位名单.xlsx）"
            )));
        }
        let _ = write!(std::io::stderr().lock(), "{what}{hint}：");
        let _ = std::io::stderr().flush();
        let answer = lines.next().and_then(|l| l.ok()).unwrap_or_default();
        let answer = answer.trim().to_string();
        if answer.is_empty() {
            return Err(Error::Usage(format!("没有给出{what}，未建立项目")));
        }
        Ok(answer)
    };
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => PathBuf::from(question("新项目的文件夹", "", "文件夹参数")?),
    };
    let office = match &args.office {
        Some(o) => o.trim().to_string(),
        None => question("发文机关", "（如 西宁市城中区人民政府办公室）", "--office")?,
    };
    let units = match &args.units {
        Some(u) => u.clone(),
        None => PathBuf::from(question(
            "单位名单文件",
            "（.xlsx .xls .ods .csv，有“名称”和“类别”两列）",
            "--units",
        )?),
    };
    let month = match &args.month {
        Some(m) => super::month_name(m)?,
        None => {
            let today = calendar::today();
            MonthId {
                year: today.year,
                month: today.month,
            }
            .previous()
        }
    };
    Ok(Asked {
        dir,
        office,
        units,
        month,
    })
}

/// The office's name goes into the title and the signature of the text: one line, no notation.
fn check_office(office: &str) -> Result<()> {
    let bad = office.is_empty()
        || office.chars().count() > 60
        || office
            .chars()
            .any(|c| c.is_control() || matches!(c, '{' | '}' | '｛' | '｝'));
    if bad {
        return Err(Error::Usage(format!(
            "发文机关“{}”不能用：应是一行、不超过 60 个字、不含大括号",
            crate::diag::shorten(office, 40)
        )));
    }
    Ok(())
}

/// Header words of the units file's columns.
const NAME_HEADERS: [&str; 4] = ["名称", "单位名称", "单位", "单位全称"];
const KIND_HEADERS: [&str; 4] = ["类别", "单位类别", "类型", "分类"];
const ALIAS_HEADERS: [&str; 2] = ["别名", "简称"];

/// The units of the units file: the first sheet, the first row (of the first ten) that names a
/// name column and a kind column, then one unit a row (empty rows skipped).
fn read_units(path: &Path) -> Result<Vec<Unit>> {
    let file = path.display();
    let (_, grid) = sheet::read(path, &sheet::Choice::first()).map_err(|r| {
        let at = r.cell.map_or(String::new(), |(row, col)| {
            format!(" 单元格 {}", crate::diag::cell_address(row as usize, col as usize))
        });
        Error::Usage(format!("{file}{at}：{}（{}）", r.message, r.help))
    })?;
    let text = Cell::text;
    let column = |row: &[Cell], names: &[&str]| row.iter().position(|c| names.contains(&text(c).as_str()));
    let header = grid
        .rows
        .iter()
        .take(10)
        .position(|row| column(row, &NAME_HEADERS).is_some() && column(row, &KIND_HEADERS).is_some());
    let Some(header) = header else {
        return Err(Error::Usage(format!(
            "{file}：前 10 行中没有找到表头“名称”和“类别”（单位名称一列、所属类别一列，如 镇、街道 / 区直部门）"
        )));
    };
    let (name_col, kind_col) = (
        column(&grid.rows[header], &NAME_HEADERS).unwrap_or(0),
        column(&grid.rows[header], &KIND_HEADERS).unwrap_or(0),
    );
    let alias_col = column(&grid.rows[header], &ALIAS_HEADERS);
    let cell = |r: usize, c: usize| crate::diag::cell_address(grid.origin.0 + r, grid.origin.1 + c);
    let mut units: Vec<Unit> = Vec::new();
    for (r, row) in grid.rows.iter().enumerate().skip(header + 1) {
        let at = |c: usize| row.get(c).map(text).unwrap_or_default();
        // A 类别 merged down its group (as clerks lay the list out) names every row of it.
        let (name, kind) = (at(name_col), grid.text_at(r, kind_col));
        if name.is_empty() && kind.is_empty() {
            continue;
        }
        let refuse = |c: usize, why: String| Error::Usage(format!("{file} 单元格 {}：{why}", cell(r, c)));
        if name.is_empty() {
            return Err(refuse(name_col, "单位名称是空的".into()));
        }
        if kind.is_empty() {
            return Err(refuse(kind_col, format!("“{name}”没有类别")));
        }
        if let Some(bad) = [&name, &kind].into_iter().find(|t| !plain_name(t)) {
            return Err(refuse(
                name_col,
                format!(
                    "“{}”不能作为名称：应是一行、不超过 60 个字、不含大括号",
                    crate::diag::shorten(bad, 40)
                ),
            ));
        }
        if units.iter().any(|u| u.name == name) {
            return Err(refuse(name_col, format!("单位“{name}”出现了两次")));
        }
        let aliases = alias_col
            .map(at)
            .unwrap_or_default()
            .split(['、', ',', '，', ';', '；'])
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != name && plain_name(a))
            .map(str::to_string)
            .collect();
        units.push(Unit { name, kind, aliases });
    }
    if units.is_empty() {
        return Err(Error::Usage(format!("{file}：表头下面没有单位")));
    }
    Ok(units)
}

fn plain_name(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= 60
        && !text
            .chars()
            .any(|c| c.is_control() || matches!(c, '{' | '}' | '｛' | '｝'))
}

/// The registry: the kinds in their first order, then one unit a line.
fn registry(units: &[Unit]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for u in units {
        if !kinds.contains(&u.kind.as_str()) {
            kinds.push(&u.kind);
        }
    }
    let mut out = String::from(
        "# yaml-language-server: $schema=../schemas/units.schema.json\n\
         # 单位名录（由 tongbao init 从单位名单生成）：规范名称（表格中打印的名称）、别名（各系统导出的表格中\n\
         # 出现的其他写法）、类别。单位的先后顺序就是显示顺序。\n",
    );
    let kinds_line: Vec<String> = kinds.iter().map(|k| scalar(k)).collect();
    out.push_str(&format!("类别: [{}]\n单位:\n", kinds_line.join(", ")));
    for u in units {
        let aliases = if u.aliases.is_empty() {
            String::new()
        } else {
            let a: Vec<String> = u.aliases.iter().map(|a| scalar(a)).collect();
            format!(", 别名: [{}]", a.join(", "))
        };
        out.push_str(&format!(
            "  - {{名称: {}{aliases}, 类别: {}}}\n",
            scalar(&u.name),
            scalar(&u.kind)
        ));
    }
    out
}

/// The sample figures of unit `i` for table `id`, as `key: value` pairs, within the table's
/// rules (办结 ≤ 交办 …), varied so that the text's 最多 and 为零 have something to show.
fn sample(id: &str, i: usize) -> Vec<(&'static str, usize)> {
    match id {
        "督办" => {
            let given = 2 + (i * 3) % 5;
            let late = usize::from(i % 4 == 3);
            vec![("交办", given), ("办结", given - late), ("超期", late)]
        }
        "热线" => {
            let taken = 8 + (i * 7) % 19;
            let delayed = if i == 0 { 3 } else { i % 3 };
            vec![
                ("受理", taken),
                ("办结", taken - usize::from(i % 5 == 2)),
                ("延期", delayed),
                ("不满意", usize::from(i % 4 == 1)),
            ]
        }
        _ => {
            let sent = if i % 6 == 5 { 0 } else { 3 + (i * 5) % 9 };
            vec![("报送", sent), ("采用", sent - sent / 3)]
        }
    }
}

/// A month table of sample figures, one unit a line.
fn sample_table(id: &str, units: &[Unit]) -> String {
    let header = format!(
        "{}\n# 示例数字（由 tongbao init 生成，不是真实统计）：请用 tongbao import {id} 导出的表格.xlsx 导入本月的数字，\n# 或逐个改写。",
        crate::schemas::modeline(&crate::schemas::month_table(id), 2)
    );
    TableFile {
        header: header.lines().map(str::to_string).collect(),
        rows: units
            .iter()
            .enumerate()
            .map(|(i, u)| RowText {
                unit: u.name.clone(),
                cells: sample(id, i)
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                comment: None,
            })
            .collect(),
        ..TableFile::default()
    }
    .to_yaml()
}

/// The date of issue of the first month: today, or the day after the month when today is not
/// later (a date of issue must follow the month it reports on).
fn issue_date(month: &MonthId) -> Date {
    let today = calendar::today();
    let after = month.plus(1);
    let first = Date {
        year: after.year,
        month: after.month,
        day: 1,
    };
    if (today.year, today.month, today.day) >= (first.year, first.month, first.day) {
        today
    } else {
        first
    }
}

/// The first month's text: the office in the title and the signature, every figure an expression.
fn text(office: &str, units: &[Unit], month: &MonthId) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for u in units {
        if !kinds.contains(&u.kind.as_str()) {
            kinds.push(&u.kind);
        }
    }
    let to: Vec<String> = kinds.iter().map(|k| format!("各{k}")).collect();
    format!(
        "{{# 示例：tongbao init 生成的第一个月。表格中的数字是示例，不是真实统计：请导入或改写本月的数字，再照本单位的写法修改正文；带数字的地方写表达式，如 {{{{ 热线.受理 }}}}。改完后删去这一行。 #}}\n\
         {office}关于{{{{ 期间 }}}}份政务服务工作情况的通报\n\
         \n\
         {}：\n\
         \n\
         现将{{{{ 期间 }}}}份政务督办、“12345”热线和政府门户网站信息报送工作情况通报如下：\n\
         一、工作开展情况\n\
         （一）政务督办情况。{{{{ 期间 }}}}，共交办任务{{{{ 督办.交办 }}}}项，按期办结{{{{ 督办.办结 }}}}项，按期办结率{{{{ 督办.办结率 }}}}%。\n\
         （二）“12345”热线办理情况。{{{{ 期间 }}}}，共受理工单{{{{ 热线.受理 }}}}件，办结{{{{ 热线.办结 }}}}件，办结率{{{{ 热线.办结率 }}}}%。延期工单最多的单位是{{{{ 热线.延期 | 最多(1) | 带数 }}}}。\n\
         （三）政府门户网站信息报送情况。各单位共报送信息{{{{ 网站.报送 }}}}条，采用{{{{ 网站.采用 }}}}条，采用率{{{{ 网站.采用率 }}}}%。未报送信息的单位有：{{{{ 网站.报送 | 为零 }}}}。\n\
         二、下一步工作要求\n\
         各单位要按时办理交办任务和热线工单，及时报送政府网站信息，确保各项工作按期完成。\n\
         \n\
         附件：1.{{{{ 督办.标题 }}}}\n\
         \u{20}     2.{{{{ 热线.标题 }}}}\n\
         \u{20}     3.{{{{ 网站.标题 }}}}\n\
         \n\
         {office}\n\
         {}\n",
        to.join("，"),
        issue_date(month).chinese(),
    )
}

/// Writes every file of the new project; returns what was written, in words.
fn write_project(project: &Project, asked: &Asked, units: &[Unit]) -> Result<Vec<String>> {
    let write = |rel: &str, bytes: &[u8]| {
        project
            .write(Path::new(rel), bytes)
            .map_err(|e| Error::Usage(format!("无法写入 {rel}：{e}")))
    };
    write(REGISTRY, registry(units).as_bytes())?;
    for (id, text) in TABLE_FILES {
        write(&format!("{TABLES}/{id}.yaml"), text.as_bytes())?;
    }
    let month = asked.month.name();
    let document = format!(
        "{}\n# 本月的设置（由 tongbao init 生成）：附件按顺序是哪几张表（用表的简称）。\n附件: [督办, 热线, 网站]\n{}\n示例数字: true\n",
        crate::schemas::modeline("document.schema.json", 2),
        crate::routine::SAMPLE_NOTE
    );
    write(&format!("{DATA}/{month}/document.yaml"), document.as_bytes())?;
    for (id, _) in TABLE_FILES {
        write(&format!("{DATA}/{month}/{id}.yaml"), sample_table(id, units).as_bytes())?;
    }
    write(
        &format!("{DATA}/{month}/{TEXT}"),
        text(&asked.office, units, &asked.month).as_bytes(),
    )?;
    for (name, bytes) in SHIPPED_TEMPLATES {
        write(&format!("{TEMPLATES}/{name}"), bytes)?;
    }
    for (rel, text) in FILES {
        // The outputs' comment comes from the outputs' owner.
        let text = text.replace(OUTPUTS_COMMENT, &crate::output::Output::starter_comment());
        write(rel, text.as_bytes())?;
    }
    Ok(vec![
        "单位名录".into(),
        "表格定义".into(),
        "模板".into(),
        CONFIG.into(),
        "CI 文件（GitHub、Gitea/Forgejo、GitLab）".into(),
    ])
}

/// Where this tongbao's fonts are: `TONGBAO_FONTS`; `fonts/` beside the executable (the Windows
/// archive); `../share/tongbao/fonts` from it (the Debian package: /usr/bin → /usr/share); the
/// source tree it was built from (`cargo install --path .`, `cargo run`).
fn fonts_dir() -> Option<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf));
    let candidates = [
        std::env::var_os("TONGBAO_FONTS").map(PathBuf::from),
        exe_dir.as_ref().map(|d| d.join(FONTS)),
        exe_dir.as_ref().map(|d| d.join("../share/tongbao").join(FONTS)),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(FONTS)),
    ];
    let candidates = candidates.into_iter().flatten().map(|d| d.canonicalize().unwrap_or(d));
    candidates.into_iter().find(|d| {
        std::fs::read_dir(d).is_ok_and(|mut entries| {
            entries.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "otf" || x == "ttf")))
        })
    })
}

/// Copies the fonts and their licences into `fonts/`; the number of font files and where they
/// came from, or None when this tongbao has no fonts beside it.
fn copy_fonts(project: &Project) -> Result<Option<(usize, PathBuf)>> {
    let Some(dir) = fonts_dir() else { return Ok(None) };
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::Usage(format!("无法读取 {}：{e}", dir.display())))?;
    let mut fonts = 0;
    for entry in entries.filter_map(std::result::Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let font = path.extension().is_some_and(|x| x == "otf" || x == "ttf");
        if !(font || name.contains("LICENSE")) || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::Usage(format!("无法读取 {}：{e}", path.display())))?;
        project
            .write(&Path::new(FONTS).join(&name), &bytes)
            .map_err(|e| Error::Usage(format!("无法写入 fonts/{name}：{e}")))?;
        fonts += usize::from(font);
    }
    Ok(Some((fonts, dir)))
}

/// A git repository (unless the folder is already in one) and the hooks; without git, a note.
fn git_and_hooks(project: &Project) {
    let root = project.root();
    let inside = crate::git::ask(root, &["rev-parse", "--show-toplevel"]).is_some();
    if !inside && crate::git::run(root, &["init", "--quiet"]).is_err() {
        tell!("提示：没有找到 git，未建立 git 仓库；安装 git 后在项目中运行 git init 和 tongbao hooks install");
        return;
    }
    if let Err(Error::Usage(e) | Error::Failed(e)) = super::hooks::install(project) {
        tell!("提示：未能安装 git 钩子：{e}");
    }
}
