//! The command line: clap's structs, the output format and the exit codes. A leaf: it imports
//! nothing from the crate, so every command can import it without a cycle.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

mod zh;
pub(crate) use zh::{colour, command, parse};

/// Everything fine (warnings allowed).
pub(crate) const EXIT_OK: u8 = 0;
/// The data or the templates have errors, or a check failed.
pub(crate) const EXIT_ERRORS: u8 = 1;
/// Wrong usage, or a problem outside the data (I/O, git, a port).
pub(crate) const EXIT_USAGE: u8 = 2;

/// tongbao：把 data/ 中的月度统计 YAML 生成为符合 GB/T 9704-2012 的通报 PDF。
#[derive(Debug, Parser)]
#[command(name = "tongbao")]
pub(crate) struct Cli {
    /// 项目根目录（默认：当前目录或其上级中含 data/units.yaml 的目录）
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    /// 何时用颜色显示诊断信息（auto：在终端上、且没有设置 NO_COLOR 时）
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

/// When diagnostics are coloured (`--color`); resolved once, with `NO_COLOR` and whether stderr
/// is a terminal, by [`colour`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// 在终端上使用颜色（设置了 NO_COLOR 时不用）
    Auto,
    /// 总是使用颜色
    Always,
    /// 不使用颜色
    Never,
}

/// An output a build can make: `--outputs`, and `输出` in `tongbao.yaml`. Its help is what the
/// command line, the starter configuration and the docs say of it; everything else about it (its
/// files, its producer, whether `issue` keeps it, its failure code) is in `crate::output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// 通报 PDF（总会生成）
    Pdf,
    /// 网页（政府网站用）及其片段（供网站编辑器粘贴）
    Html,
    /// Word 文件
    Docx,
    /// 附件表格（xlsx）
    Xlsx,
    /// OFD 版式文件（GB/T 33190）
    Ofd,
    /// 测试用的输出（只在测试中存在，不列出）
    #[cfg(test)]
    #[value(hide = true)]
    Dummy,
}

impl Output {
    /// Every output, in the order they are listed and made.
    pub fn all() -> &'static [Output] {
        Output::value_variants()
    }

    /// The outputs the help, the starter configuration and the docs list (all but the tests' own).
    pub fn listed() -> impl Iterator<Item = Output> {
        Output::all()
            .iter()
            .copied()
            .filter(|o| o.to_possible_value().is_some_and(|v| !v.is_hide_set()))
    }

    /// Its name in `--outputs` and in `tongbao.yaml`'s `输出`.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// What it is, in Chinese (its help).
    pub fn describe(self) -> String {
        self.to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string))
            .unwrap_or_default()
    }

    /// The output named `name` (case does not matter).
    pub fn named(name: &str) -> Option<Output> {
        <Output as ValueEnum>::from_str(name.trim(), true).ok()
    }

    /// The names of every listed output, for messages.
    pub fn names() -> String {
        Output::listed().map(|o| o.name()).collect::<Vec<_>>().join("、")
    }
}

/// What `--outputs` names: one output, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outputs {
    All,
    Only(Output),
}

/// `--outputs`' values: the outputs' names (with their help) and `all`.
fn outputs() -> impl TypedValueParser<Value = Outputs> {
    let mut values: Vec<PossibleValue> = Output::all().iter().filter_map(ValueEnum::to_possible_value).collect();
    values.push(PossibleValue::new("all").help("全部输出"));
    PossibleValuesParser::new(values).map(|name| Output::named(&name).map_or(Outputs::All, Outputs::Only))
}

/// The standards a circular's PDF can follow: archival (PDF/A, level b: it looks the same for
/// ever; level a: accessible as well) and accessible (PDF/UA-1). Typst validates the document
/// against the standard while writing it and refuses one that does not conform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum PdfStandard {
    /// 归档 PDF/A-2b（不能附带构建清单）
    #[value(name = "a-2b")]
    #[serde(rename = "a-2b")]
    A2b,
    /// 归档 PDF/A-3b（附带构建清单）
    #[value(name = "a-3b")]
    #[serde(rename = "a-3b")]
    A3b,
    /// 无障碍归档 PDF/A-2a（带结构标签，不能附带构建清单）
    #[value(name = "a-2a")]
    #[serde(rename = "a-2a")]
    A2a,
    /// 无障碍归档 PDF/A-3a（带结构标签）
    #[value(name = "a-3a")]
    #[serde(rename = "a-3a")]
    A3a,
    /// 无障碍 PDF/UA-1（带结构标签）
    #[value(name = "ua-1")]
    #[serde(rename = "ua-1")]
    Ua1,
}

impl PdfStandard {
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Whether the provenance manifest can be attached (PDF/A-2 allows no attachment).
    pub fn allows_attachments(self) -> bool {
        !matches!(self, PdfStandard::A2b | PdfStandard::A2a)
    }

    /// Whether the standard asks for a tagged PDF.
    pub fn needs_tags(self) -> bool {
        matches!(self, PdfStandard::A2a | PdfStandard::A3a | PdfStandard::Ua1)
    }
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// 给人看的中文说明
    Human,
    /// JSON（供编辑器和 CI 使用）
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// 检查数据：类型、算术、单位名称、日期
    Check(CheckArgs),
    /// 生成通报 PDF 到 out/YYYY-MM/（先检查，有错误则不生成）
    Build(BuildArgs),
    /// 监视数据和模板，保存即重新生成，并在浏览器中实时预览
    Watch(WatchArgs),
    /// 在浏览器中办理整个月份：编辑正文和表格、草稿预览、提交、发布、查看历史（不用命令行）
    Serve(ServeArgs),
    /// 核验 PDF：从其记录的提交重新生成，检查是否逐字节相同
    Verify(VerifyArgs),
    /// 两个版本之间数据的变化（按表、单位、列列出旧值 → 新值）
    Diff(DiffArgs),
    /// 数字的修改历史：每次提交改了哪些数字、由谁、何时
    Log(LogArgs),
    /// 某个数字最后由谁在哪次提交中填写，以及它以前的值
    Blame(BlameArgs),
    /// 管理 git 钩子：提交前检查，提交后自动生成
    Hooks {
        #[command(subcommand)]
        action: HooksAction,
    },
    /// 列出各字体角色实际使用的字体
    Fonts(FontArgs),
    /// 发布通报：保存发布的 PDF 并记录摘要，此后任何会改变它的修改都会被拒绝
    Issue(IssueArgs),
    /// 制作电子印章（GB/T 38540 的 .esl 文件）：印章图片、名称、用章者证书，由制章者用 SM2 签名；
    /// 合法有效的电子印章由有权发放印章的机构提供，本命令供测试和经授权自行制章的单位使用
    Seal(SealArgs),
    /// 开始新的月份：从最近一个月复制正文和表格，期间自动顺延，数字标为“待填”
    New(NewArgs),
    /// 从系统导出的表格（.xlsx .xls .ods .csv）导入一张表的数字
    Import(ImportArgs),
    /// 把本月的附件表格导出为 .xlsx（out/YYYY-MM/附件.xlsx）
    Export(ExportArgs),
    /// 生成 schemas/ 中的 JSON Schema，供编辑器补全键名和单位名、标出错误
    Schemas,
    /// 语言服务（LSP，经标准输入输出）：供编辑器补全表名、列名、单位和写法，标出问题，悬停显示数字，跳到数据所在的行
    Lsp,
    /// 新建一个单位的通报项目：单位名录、表格定义、设置、第一个月份（示例数字）、CI 文件和 git 钩子
    Init(InitArgs),
    /// 输出命令行补全脚本（bash、zsh、fish、powershell、elvish）
    Completions(CompletionsArgs),
    /// 输出 man 手册页（roff 格式，打包时使用）
    #[command(hide = true)]
    Manpage(ManpageArgs),
    /// 重新生成文档中由代码生成的表格（诊断代码、写法、输出、命令；开发时使用）
    #[command(hide = true)]
    Docs,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// 新项目的文件夹（不存在时新建；已是 tongbao 项目时不覆盖）；在终端上省略时询问
    pub dir: Option<PathBuf>,
    /// 发文机关，写入通报的标题和署名（如 西宁市城中区人民政府办公室）；在终端上省略时询问
    #[arg(long, value_name = "名称")]
    pub office: Option<String>,
    /// 单位名单：表格文件（.xlsx .xls .ods .csv），有“名称”和“类别”两列（可选“别名”列）；在终端上省略时询问
    #[arg(long, value_name = "文件")]
    pub units: Option<PathBuf>,
    /// 第一个月份（YYYY-MM）；默认为上个月
    #[arg(long)]
    pub month: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// 哪种 shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManpageArgs {
    /// 把 tongbao.1 和各命令的手册页（tongbao-build.1 …）写入这个文件夹；省略时把 tongbao.1 输出到标准输出
    #[arg(long, value_name = "文件夹")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// 月份（YYYY-MM）；省略时检查全部月份
    pub month: Option<String>,
    /// 能否发布：列出发布前必须解决的全部问题（错误、待填、示例数字、tongbao.yaml“发布前须解决”的警告），与 tongbao issue 的判断相同
    #[arg(long, requires = "month")]
    pub ready: bool,
    /// 输出格式
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Font choice shared by the commands that typeset.
#[derive(Debug, Clone, Args)]
pub(crate) struct FontArgs {
    /// 也使用本机安装的字体（默认只用项目 fonts/ 中的字体，保证同一提交在任何机器上生成相同的 PDF）
    #[arg(long)]
    pub system_fonts: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// 月份（YYYY-MM）；省略时生成最新的月份
    pub month: Option<String>,
    /// 生成全部月份
    #[arg(long, conflicts_with = "month")]
    pub all: bool,
    /// 生成草稿 out/YYYY-MM/draft.pdf：还有待填或错误也照样排版，待填的数字印作【待填：…】，每页标明“草稿”；正式的 circular.pdf 不变
    #[arg(long, conflicts_with = "all")]
    pub draft: bool,
    #[command(flatten)]
    pub fonts: FontArgs,
    /// 生成不带结构标签的 PDF（文件小一些，但读屏软件读不出标题、表格的结构，也没有书签以外的导航）；默认带标签
    #[arg(long)]
    pub untagged: bool,
    /// 同时生成哪些输出，逗号分隔，或 all；默认取 tongbao.yaml 的“输出”，没有时只生成 PDF
    #[arg(long, value_delimiter = ',', ignore_case = true, value_parser = outputs())]
    pub outputs: Vec<Outputs>,
    /// PDF 标准
    #[arg(long, value_enum, ignore_case = true)]
    pub pdf_standard: Option<PdfStandard>,
    /// 显示各阶段用时
    #[arg(long)]
    pub timings: bool,
    /// 多个月份时，即使输入没有变化也重新生成
    #[arg(long)]
    pub force: bool,
    /// 多个月份时，列出每条诊断信息（默认每个月一行，最后按类别汇总警告）
    #[arg(long)]
    pub verbose: bool,
    /// 诊断信息的输出格式
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// 月份（YYYY-MM）；省略时为最新的月份
    pub month: Option<String>,
    /// 预览端口（默认 7345，被占用时自动另选）
    #[arg(long)]
    pub port: Option<u16>,
    /// 启动后打开浏览器
    #[arg(long)]
    pub open: bool,
    /// 点击预览中的文字时打开的编辑器：含 {文件} 和 {行} 的链接或命令，如 "code -g {文件}:{行}"；
    /// 默认为环境变量 TONGBAO_EDITOR，或 "vscode://file/{文件}:{行}"
    #[arg(long, value_name = "命令")]
    pub editor: Option<String>,
    #[command(flatten)]
    pub fonts: FontArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// 工作台端口（默认 7346，被占用时自动另选）
    #[arg(long)]
    pub port: Option<u16>,
    /// 不自动打开浏览器（只打印地址）
    #[arg(long)]
    pub no_open: bool,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// 新月份（YYYY-MM）；省略时为最近一个月的下一个月
    pub month: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// 表（简称或编号，如 热线 或 12345）
    pub table: String,
    /// 导出的表格文件（.xlsx、.xls、.ods 或 .csv）
    pub file: PathBuf,
    /// 导入到哪个月份（YYYY-MM）；省略时为最近的月份
    #[arg(long)]
    pub month: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// 月份（YYYY-MM）；省略时为最近的月份
    pub month: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// 月份（YYYY-MM）
    pub month: String,
    /// 修订已发布的通报，写明原因（会记录在发布记录和 git 历史中）
    #[arg(long, value_name = "原因")]
    pub revise: Option<String>,
    /// 撤回已发布的通报，写明原因：记入 withdrawn.yaml，删去发布记录和发布的文件（git 历史中保留）
    #[arg(long, value_name = "原因", conflicts_with = "revise")]
    pub withdraw: Option<String>,
    /// 允许这个月的输入有未提交的改动（默认拒绝：发布的通报要能由一次提交重现）；会记录在发布记录中
    #[arg(long)]
    pub allow_dirty: bool,
    /// 同时发布哪些输出（如 ofd），逗号分隔，或 all；默认取 tongbao.yaml 的“输出”。发布的 PDF 之外，OFD 也随发布记录保存
    #[arg(long, value_delimiter = ',', ignore_case = true, value_parser = outputs())]
    pub outputs: Vec<Outputs>,
    /// 用单位的证书和私钥为发布的 PDF 签名（PAdES）：.p12/.pfx 或 PEM 文件（须在项目文件夹之外），
    /// 或 UKey 中的密钥 pkcs11:标签（驱动取自环境变量 TONGBAO_PKCS11_MODULE）；密码或 PIN 取自环境变量
    /// TONGBAO_KEY_PASSWORD，没有时在终端上询问（输入时不显示）。联合行文时按发文机关的次序每个机关写一次，
    /// 签名域各在该机关的印章处；第 N 个密钥的密码可另用 TONGBAO_KEY_PASSWORD_N
    #[arg(long, value_name = "密钥文件", conflicts_with = "withdraw")]
    pub sign: Vec<PathBuf>,
    /// 为发布的 OFD 加盖电子印章（GB/T 38540）：印章文件 .esl（项目中的文件，由印章管理机构或 tongbao seal
    /// 生成），盖在通报印章的位置；联合行文有几枚印章就按印章的次序写几次 --seal，每个配一个 --seal-key
    #[arg(long, value_name = "印章文件", conflicts_with = "withdraw", requires = "seal_key")]
    pub seal: Vec<PathBuf>,
    /// 盖章用的 SM2 私钥和证书（PEM 文件，须在项目文件夹之外，证书须列在印章的持章者中），与 --seal
    /// 一一对应；加密的私钥的密码取自环境变量 TONGBAO_KEY_PASSWORD（第 N 个可另用 TONGBAO_KEY_PASSWORD_N），
    /// 没有时在终端上询问
    #[arg(long, value_name = "密钥文件", requires = "seal")]
    pub seal_key: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SealArgs {
    /// 印章图片（PNG 或 SVG，项目中的文件，如 assets/印章.png）
    #[arg(long, value_name = "图片")]
    pub picture: PathBuf,
    /// 印章名称（通常是单位全称）
    #[arg(long, value_name = "名称")]
    pub name: String,
    /// 制章者的 SM2 私钥和证书（PEM 文件，须在项目文件夹之外；加密的私钥用 TONGBAO_KEY_PASSWORD 解开）
    #[arg(long, value_name = "PEM")]
    pub maker: PathBuf,
    /// 用章者（签章人）的证书（PEM），可以是多张
    #[arg(long, value_name = "PEM")]
    pub holder: PathBuf,
    /// 印章直径（毫米）
    #[arg(long, default_value_t = 42)]
    pub diameter: u32,
    /// 有效天数
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// 写出的印章文件（.esl，项目中的路径，如 assets/印章.esl）
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// 要核验的 PDF 或 OFD 文件
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// 旧版本（提交号、分支、标签、HEAD~1 …）
    pub rev1: String,
    /// 新版本（默认 HEAD）；也可直接写月份
    pub rev2: Option<String>,
    /// 只看这个月份（YYYY-MM）
    pub month: Option<String>,
    /// 只看这张表（简称或文件名，如 热线、12345 或 12345.yaml）
    #[arg(long)]
    pub table: Option<String>,
    /// 输出格式
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// 只看这个月份（YYYY-MM）
    pub month: Option<String>,
    /// 只看这张表（简称或文件名，如 热线、12345 或 12345.yaml）
    #[arg(long)]
    pub table: Option<String>,
    /// 只看这个单位（名称或别名；改名前后都算）
    #[arg(long)]
    pub unit: Option<String>,
    /// 输出格式
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct BlameArgs {
    /// 月份（YYYY-MM）
    pub month: String,
    /// 表（简称或文件名，如 热线、12345 或 12345.yaml）
    pub table: String,
    /// 单位（名称或别名），或“概况”“合计”
    pub unit: String,
    /// 列（键或表头，如 本月 或 本月投诉）
    pub column: String,
    /// 输出格式
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HooksAction {
    /// 安装钩子（可重复执行；保留并串联原有的钩子）
    Install,
    /// 卸载钩子，恢复原有的钩子
    Uninstall,
    /// 由钩子调用，不需要手动运行
    #[command(hide = true)]
    Run {
        /// 钩子名
        hook: String,
        /// git 传给钩子的参数
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}
