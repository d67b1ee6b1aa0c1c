fn main() {
    std::process::exit(tongbao::cli::run());
}
