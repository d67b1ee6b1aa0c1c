//! Command-line arguments (clap) and dispatch; nothing else.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd;

/// Exit code: everything fine (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: the data or the templates have errors.
pub const EXIT_ERRORS: i32 = 1;
/// Exit code: wrong usage or an I/O problem.
pub const EXIT_USAGE: i32 = 2;

/// tongbao：把 data/ 中的月度统计 YAML 生成为符合 GB/T 9704-2012 的通报 PDF。
#[derive(Debug, Parser)]
#[command(name = "tongbao", version, about)]
pub struct Cli {
    /// 项目根目录（默认：当前目录或其上级中含 data/units.yaml 的目录）
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    /// 要执行的命令
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// 给人看的中文说明
    Human,
    /// JSON（供编辑器和 CI 使用）
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 检查数据：类型、算术、单位名称、日期
    Check {
        /// 月份（YYYY-MM）；省略时检查全部月份
        month: Option<String>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// 生成通报 PDF 到 out/YYYY-MM/（先检查，有错误则不生成）
    Build {
        /// 月份（YYYY-MM）；省略时生成最新的月份
        month: Option<String>,
        /// 生成全部月份
        #[arg(long, conflicts_with = "month")]
        all: bool,
        /// 也使用本机安装的字体（默认只用项目 fonts/ 中的字体，保证同一提交在任何机器上生成相同的 PDF）
        #[arg(long)]
        system_fonts: bool,
        /// 生成带结构标签的 PDF（便于读屏软件，文件约大一半）
        #[arg(long)]
        tagged: bool,
        /// 显示各阶段用时
        #[arg(long)]
        timings: bool,
        /// 诊断信息的输出格式
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// 监视数据和模板，保存即重新生成，并在浏览器中实时预览
    Watch {
        /// 月份（YYYY-MM）；省略时为最新的月份
        month: Option<String>,
        /// 预览端口（默认 7345，被占用时自动另选）
        #[arg(long)]
        port: Option<u16>,
        /// 启动后打开浏览器
        #[arg(long)]
        open: bool,
        /// 也使用本机安装的字体
        #[arg(long)]
        system_fonts: bool,
    },
    /// 核验 PDF：从其记录的提交重新生成，检查是否逐字节相同
    Verify {
        /// 要核验的 PDF 文件
        file: PathBuf,
    },
    /// 两个版本之间数据的变化（按表、单位、列列出旧值 → 新值）
    Diff {
        /// 旧版本（提交号、分支、标签、HEAD~1 …）
        rev1: String,
        /// 新版本（默认 HEAD）；也可直接写月份
        rev2: Option<String>,
        /// 只看这个月份（YYYY-MM）
        month: Option<String>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// 数字的修改历史：每次提交改了哪些数字、由谁、何时
    Log {
        /// 只看这个月份（YYYY-MM）
        month: Option<String>,
        /// 只看这张表（如 12345）
        #[arg(long)]
        table: Option<String>,
        /// 只看这个单位（名称或别名；改名前后都算）
        #[arg(long)]
        unit: Option<String>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// 某个数字最后由谁在哪次提交中填写，以及它以前的值
    Blame {
        /// 月份（YYYY-MM）
        month: String,
        /// 表名（如 12345）
        table: String,
        /// 单位（名称或别名），或“概况”“合计”
        unit: String,
        /// 列（键或表头，如 本月 或 本月投诉）
        column: String,
        /// 输出格式
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// 管理 git 钩子：提交前检查，提交后自动生成
    Hooks {
        /// 操作
        #[command(subcommand)]
        action: HooksAction,
    },
    /// 列出各字体角色实际使用的字体
    Fonts {
        /// 也使用本机安装的字体
        #[arg(long)]
        system_fonts: bool,
    },
}

/// `tongbao hooks …`.
#[derive(Debug, Subcommand)]
pub enum HooksAction {
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

/// Parses arguments, runs the command and returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let root = match cmd::root(cli.root.as_deref()) {
        Ok(root) => root,
        Err(msg) => {
            crate::tell!("错误：{msg}");
            return EXIT_USAGE;
        }
    };
    match cli.command {
        Command::Check { month, format } => cmd::check::run(&root, month.as_deref(), format),
        Command::Build {
            month,
            all,
            system_fonts,
            tagged,
            timings,
            format,
        } => {
            let options = crate::pipeline::Options { system_fonts, tagged };
            cmd::build::run(&root, month.as_deref(), all, &options, timings, format)
        }
        Command::Watch {
            month,
            port,
            open,
            system_fonts,
        } => {
            let options = crate::pipeline::Options {
                system_fonts,
                tagged: false,
            };
            cmd::watch::run(&root, month.as_deref(), port, open, &options)
        }
        Command::Diff {
            rev1,
            rev2,
            month,
            format,
        } => cmd::audit::diff(&root, &rev1, rev2.as_deref(), month.as_deref(), format),
        Command::Log {
            month,
            table,
            unit,
            format,
        } => cmd::audit::log(&root, &crate::audit::Filter { month, table, unit }, format),
        Command::Blame {
            month,
            table,
            unit,
            column,
            format,
        } => cmd::audit::blame(&root, &month, &table, &unit, &column, format),
        Command::Hooks { action } => match action {
            HooksAction::Install => cmd::hooks::install(&root),
            HooksAction::Uninstall => cmd::hooks::uninstall(&root),
            HooksAction::Run { hook, args } => cmd::hooks::run(&root, &hook, &args),
        },
        Command::Verify { file } => cmd::verify::run(&root, &file),
        Command::Fonts { system_fonts } => cmd::fonts::run(&root, system_fonts),
    }
}
