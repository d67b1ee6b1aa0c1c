//! clap in Chinese: its own words (usage, headings, the help and version flags, default and
//! possible values) and its error messages, so that the whole command line speaks one language.
//!
//! clap keeps a few words in its renderer (`Usage:`, `[OPTIONS]`, the `:` after a heading); the
//! built command gets Chinese words wherever clap lets them be set ([`localise`]), usage errors
//! are written by our own [`ErrorFormatter`] ([`Chinese`]), and what is left is replaced in the
//! rendered text ([`words`]).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::IsTerminal;

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorFormatter, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

use super::{Cli, Color};

/// tongbao's version, its commit (from build.rs: git, or `TONGBAO_COMMIT` for a source tarball)
/// and the version of the Typst crates it was built with.
pub(crate) fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{}（提交 {}，Typst {}）",
            env!("CARGO_PKG_VERSION"),
            env!("TONGBAO_COMMIT"),
            typst::utils::version().raw()
        )
    })
}

/// The placeholder shown for an argument's value, by the argument's name.
const VALUE_NAMES: [(&str, &str); 19] = [
    ("month", "月份"),
    ("dir", "文件夹"),
    ("file", "文件"),
    ("table", "表"),
    ("unit", "单位"),
    ("column", "列"),
    ("rev1", "版本1"),
    ("rev2", "版本2"),
    ("shell", "SHELL"),
    ("hook", "钩子"),
    ("args", "参数"),
    ("port", "端口"),
    ("outputs", "输出"),
    ("pdf_standard", "标准"),
    ("root", "文件夹"),
    ("format", "格式"),
    ("color", "何时"),
    ("office", "名称"),
    ("units", "文件"),
];

/// The command line as clap sees it, in Chinese.
pub(crate) fn command() -> Command {
    let cmd = Cli::command().version(version());
    localise(cmd, true)
}

/// Chinese words for one command and, recursively, its subcommands.
fn localise(cmd: Command, root: bool) -> Command {
    let mut cmd = cmd
        .help_template("{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        )
        .mut_args(localise_arg);
    if root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本（含提交号和 Typst 版本）"),
        );
    }
    cmd.mut_subcommands(|sub| localise(sub, false))
}

/// An argument's placeholder in Chinese, and its possible and default values written into its
/// help in Chinese (clap would add them in English).
fn localise_arg(arg: Arg) -> Arg {
    let id = arg.get_id().as_str().to_string();
    let mut arg = arg;
    if arg.get_action().takes_values()
        && let Some((_, name)) = VALUE_NAMES.iter().find(|(k, _)| *k == id)
    {
        arg = arg.value_name(*name);
    }
    let Some(help) = arg.get_help().map(ToString::to_string) else {
        return arg;
    };
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().to_string())
        .collect();
    let takes = arg.get_action().takes_values();
    let mut extra = Vec::new();
    if takes && !values.is_empty() && values.len() <= 12 {
        extra.push(format!("可选：{}", values.join("、")));
    }
    if takes && !defaults.is_empty() {
        extra.push(format!("默认：{}", defaults.join("、")));
    }
    if extra.is_empty() {
        return arg;
    }
    arg.help(format!("{help}［{}］", extra.join("；")))
        .hide_possible_values(true)
        .hide_default_value(true)
}

/// Parses the process's arguments. On a usage error (or `--help`, `--version`), the text to print,
/// where (stderr for an error) and the exit code's kind come back instead.
pub(crate) fn parse() -> Result<Cli, Refusal> {
    use std::io::IsTerminal as _;
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    let terminal = std::io::stdin().is_terminal() || std::io::stdout().is_terminal();
    if desktop_launch(args.len(), terminal, display) {
        args.push("serve".into());
    }
    parse_from(args)
}

/// Whether `tongbao` was started from a desktop (a shortcut, a double click) rather than a
/// terminal or a program: no arguments, no terminal, a graphical session (always on Windows and
/// macOS). Then it opens the workspace (`tongbao serve`) instead of printing its usage.
fn desktop_launch(args: usize, terminal: bool, display: bool) -> bool {
    args == 1 && !terminal && (display || cfg!(any(windows, target_os = "macos")))
}

/// What clap said instead of a command line: help, the version, or a usage error.
pub(crate) struct Refusal {
    /// The text, with colour when colour is on.
    pub text: String,
    /// A usage error (stderr, exit 2) rather than help or the version (stdout, exit 0).
    pub error: bool,
}

fn parse_from(args: Vec<OsString>) -> Result<Cli, Refusal> {
    let paint = colour(asked_colour(&args));
    let refuse = |e: clap::Error| {
        let error = e.use_stderr();
        let styled = if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
            e.render()
        } else {
            e.apply::<Chinese>().render()
        };
        let text = if paint {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        };
        Refusal {
            text: words(&text),
            error,
        }
    };
    let matches = command().try_get_matches_from(args).map_err(refuse)?;
    Cli::from_arg_matches(&matches).map_err(refuse)
}

/// The `--color` the arguments ask for, read before clap parses them (clap's own errors are
/// coloured by the same choice).
fn asked_colour(args: &[OsString]) -> Color {
    let mut choice = Color::Auto;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--color") {
            Some("") => iter.next().map(|v| v.to_string()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        match value.as_deref() {
            Some("always") => choice = Color::Always,
            Some("never") => choice = Color::Never,
            Some("auto") => choice = Color::Auto,
            _ => {}
        }
        if arg == "--" {
            break;
        }
    }
    choice
}

/// Whether diagnostics on stderr are coloured: `always` and `never` say so; `auto` colours a
/// terminal unless `NO_COLOR` is set (to anything but the empty string, as no-color.org asks) or
/// `TERM` is `dumb`.
pub(crate) fn colour(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            !no_color && !dumb && std::io::stderr().is_terminal()
        }
    }
}

/// The words clap writes itself, in Chinese.
fn words(text: &str) -> String {
    let mut out = text
        .replace("[OPTIONS]", "[选项]")
        .replace("Usage: ", "用法：")
        .replace("Usage:", "用法：");
    for heading in ["命令", "参数", "选项"] {
        out = out.replace(&format!("{heading}:"), &format!("{heading}："));
    }
    out.replace("Arguments:", "参数：").replace("Options:", "选项：")
}

/// clap's usage errors in Chinese.
pub(crate) struct Chinese;

impl ErrorFormatter for Chinese {
    fn format_error(error: &clap::error::Error<Self>) -> StyledStr {
        let red = anstyle::AnsiColor::Red.on_default().bold();
        let mut styled = StyledStr::new();
        let _ = write!(styled, "{red}错误：{red:#}{}", message(error));
        let suggestion = [
            ContextKind::SuggestedSubcommand,
            ContextKind::SuggestedArg,
            ContextKind::SuggestedValue,
        ]
        .into_iter()
        .find_map(|k| error.get(k));
        if let Some(s) = suggestion {
            let _ = write!(styled, "\n\n  提示：是否应为 {}？", list(s));
        }
        if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
            let _ = write!(styled, "\n\n{}", words(&usage.to_string()));
        }
        styled.push_str("\n\n运行时加 --help 查看说明。\n");
        styled
    }
}

/// A context value as text: one value, or several joined with 、.
fn list(value: &ContextValue) -> String {
    match value {
        ContextValue::String(s) => format!("“{s}”"),
        ContextValue::Strings(v) => v.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join("、"),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"),
        ContextValue::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// The error's message, in Chinese, from its kind and context.
fn message(error: &clap::error::Error<Chinese>) -> String {
    let get = |k| error.get(k).map(list).unwrap_or_default();
    let arg = get(ContextKind::InvalidArg);
    let value = get(ContextKind::InvalidValue);
    let valid = error
        .get(ContextKind::ValidValue)
        .map(|v| format!("；可选：{}", list(v)))
        .unwrap_or_default();
    match error.kind() {
        ErrorKind::UnknownArgument => format!("不认识的参数 {arg}"),
        ErrorKind::InvalidSubcommand if get(ContextKind::InvalidSubcommand) == "“help”" => {
            "没有 help 命令；说明请看 tongbao --help，某个命令的说明请看 tongbao 命令 --help".to_string()
        }
        ErrorKind::InvalidSubcommand => {
            format!("没有命令 {}", get(ContextKind::InvalidSubcommand))
        }
        ErrorKind::InvalidValue if value == "“”" => format!("{arg} 需要一个值"),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!("{value} 不是 {arg} 可以取的值{valid}")
        }
        ErrorKind::MissingRequiredArgument => format!("缺少参数：{arg}"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "缺少命令".to_string(),
        ErrorKind::ArgumentConflict => {
            let prior = get(ContextKind::PriorArg);
            if prior.is_empty() || prior == arg {
                format!("参数 {arg} 不能重复使用")
            } else {
                format!("参数 {arg} 不能与 {prior} 同时使用")
            }
        }
        ErrorKind::TooManyValues => format!("{arg} 多了一个值 {value}"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!("{arg} 的值的个数不对"),
        ErrorKind::NoEquals => format!("{arg} 的值要用 = 连接"),
        ErrorKind::InvalidUtf8 => "参数不是有效的 UTF-8 文字".to_string(),
        _ => "命令行有误".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desktop_start_opens_the_workspace_and_nothing_else_does() {
        // Double-clicked on a Linux desktop: the workspace.
        assert!(desktop_launch(1, false, true));
        // In a terminal, with arguments, or from a program on a server: as before.
        assert!(!desktop_launch(1, true, true));
        assert!(!desktop_launch(2, false, true));
        assert_eq!(desktop_launch(1, false, false), cfg!(any(windows, target_os = "macos")));
        let serve = parse_from(vec!["tongbao".into(), "serve".into()])
            .ok()
            .map(|c| c.command);
        assert!(matches!(serve, Some(crate::args::Command::Serve(_))));
    }

    fn refused(args: &[&str]) -> Refusal {
        match parse_from(args.iter().map(OsString::from).collect()) {
            Ok(cli) => panic!("parsed: {cli:?}"),
            Err(r) => r,
        }
    }

    #[test]
    fn help_and_errors_have_no_english_words_of_claps() {
        for args in [
            &["tongbao", "--help"][..],
            &["tongbao", "build", "--help"],
            &["tongbao", "blame", "--help"],
        ] {
            let help = refused(args);
            assert!(!help.error);
            for english in [
                "Usage",
                "Options",
                "Arguments",
                "Commands",
                "Print",
                "[OPTIONS]",
                "default:",
                "possible",
            ] {
                assert!(!help.text.contains(english), "{english} in {args:?}:\n{}", help.text);
            }
            assert!(help.text.contains("用法：tongbao"), "{}", help.text);
        }
        let e = refused(&["tongbao", "build", "--nonsense"]);
        assert!(e.error);
        assert!(e.text.starts_with("错误：不认识的参数 “--nonsense”"), "{}", e.text);
        assert!(e.text.contains("用法：tongbao build"), "{}", e.text);
    }

    #[test]
    fn colour_is_asked_before_parsing() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(asked_colour(&args(&["tongbao", "--color", "never"])), Color::Never);
        assert_eq!(
            asked_colour(&args(&["tongbao", "check", "--color=always"])),
            Color::Always
        );
        assert_eq!(asked_colour(&args(&["tongbao", "--", "--color=always"])), Color::Auto);
    }
}
