fn main() -> std::process::ExitCode {
    tongbao::main()
}
