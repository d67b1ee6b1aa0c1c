//! Tests of the whole pipeline: what a new output touches, what one build reads and lays out, and
//! that the manifest attached as the PDF is written is the manifest `pdf.attach` laid out gave.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Asked, Output, Plan, Resolved, Session};
use crate::args::Outputs;
use crate::load::config::Config;
use crate::output::pdf;
use crate::project::Project;

/// What a new output touches, shown with the dummy output the unit tests add (one variant of
/// `args::Output` with its help, and its arm in each match of `impl Output` in `output`, with a
/// producer): the command line takes it, `--outputs` and `tongbao.yaml` resolve it, a build
/// makes its file and the PDF's manifest names it by its digest, `--timings` times it, and
/// `issue` keeps it or not as its `issued` says; the help, the starter configuration and the
/// docs list every output that is not hidden (the dummy is, so that the docs stay the same in
/// the tests). Nothing else changes (`tests/it/owners.rs` checks that no other file names an
/// output).
#[test]
fn a_new_output_is_one_variant_and_its_facts() {
    use clap::Parser as _;
    let cli = crate::args::Cli::try_parse_from(["tongbao", "build", "--outputs", "pdf,dummy"]).unwrap();
    let crate::args::Command::Build(args) = cli.command else {
        panic!("a build")
    };
    assert_eq!(args.outputs, [Outputs::Only(Output::Pdf), Outputs::Only(Output::Dummy)]);
    assert_eq!(Output::named("DUMMY"), Some(Output::Dummy));
    let mut build = crate::args::command();
    let help = build
        .find_subcommand_mut("build")
        .expect("the build command")
        .render_long_help()
        .to_string();
    for o in Output::listed() {
        assert!(help.contains(&o.name()), "{help}");
        assert!(o == Output::Pdf || Output::starter_comment().contains(&format!("{}（{}", o.name(), o.describe())));
    }
    assert!(!help.contains("dummy"), "{help}");

    let asked = Asked {
        outputs: vec![Outputs::Only(Output::Dummy)],
        ..Asked::default()
    };
    let plan = Plan::resolve(&asked, &Config::default(), &mut Vec::new()).unwrap();
    assert_eq!(plan.outputs, BTreeSet::from([Output::Pdf, Output::Dummy]));

    let dir = crate::pipeline::fuzz::project();
    std::fs::write(dir.path().join("tongbao.yaml"), "输出: [pdf, dummy]\n").unwrap();
    let project = Project::new(dir.path());
    let resolved = crate::pipeline::Resolved::configured(&project);
    assert!(resolved.plan.makes(Output::Dummy), "{:?}", resolved.diagnostics);
    let mut session = crate::pipeline::Session::open(std::sync::Arc::new(resolved));
    let outcome = session.build("2023-03");
    assert!(outcome.pdf.is_some(), "{:?}", outcome.diagnostics);
    let made = std::path::Path::new("out/2023-03").join(crate::output::dummy::FILE);
    assert!(outcome.outputs.contains(&made), "{:?}", outcome.outputs);
    let bytes = std::fs::read(dir.path().join(&made)).unwrap();
    let pdf = std::fs::read(dir.path().join("out/2023-03/circular.pdf")).unwrap();
    let manifest = crate::provenance::read_manifest(&pdf).expect("the PDF's manifest");
    assert_eq!(
        manifest.outputs.get("out/2023-03/dummy.txt"),
        Some(&crate::provenance::sha256(&bytes))
    );
    assert!(
        outcome.timings.describe(1).contains("测试 "),
        "{}",
        outcome.timings.describe(1)
    );
    assert!(Output::Dummy.issued().is_none());
}

/// One build of March with every output: the pages are laid out once (no signature fit or 版记
/// page is needed), the PDF, the Word file and the OFD all come from that layout, and every input
/// the build reads is read from the disk once, whoever asks (the loader, the templates, Typst, the
/// manifest's digests).
#[test]
fn one_build_reads_each_input_once_and_lays_out_once() {
    let dir = super::fuzz::project();
    let project = Project::new(dir.path());
    let asked = Asked {
        outputs: vec![Outputs::All],
        ..Asked::default()
    };
    let resolved = Resolved::read(&project, &asked).unwrap();
    let mut session = Session::open(Arc::new(resolved));
    let outcome = session.build("2023-03");
    assert!(outcome.pdf.is_some(), "{:?}", outcome.diagnostics);
    assert_eq!(outcome.layouts, 1);
    let reads = project.disk_reads();
    assert!(reads.len() > 10, "{reads:?}");
    let again: Vec<_> = reads.iter().filter(|(_, n)| *n > 1).collect();
    assert!(again.is_empty(), "read more than once: {again:?}");
    for file in [
        "tongbao.yaml",
        "templates/page.yaml",
        "data/2023-03/通报.txt",
        "data/units.yaml",
    ] {
        assert!(
            !std::path::Path::new(dir.path()).join(file).exists()
                || reads.iter().any(|(p, _)| p == std::path::Path::new(file)),
            "{file} not read through the gate: {reads:?}"
        );
    }
}

/// Attaching the manifest as the PDF is written gives the very bytes that `pdf.attach` at the
/// end of the generated source gave (how tongbao attached it before): circulars issued then
/// still verify byte for byte.
#[test]
fn attaching_at_export_is_attaching_in_the_source() {
    let dir = crate::pipeline::fuzz::project();
    let project = crate::project::Project::new(dir.path());
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::configured(&project));
    let mut session = crate::pipeline::Session::open(resolved);
    let outcome = session.build("2023-03");
    let document = outcome.document.expect("March builds");
    let typ = std::fs::read_to_string(dir.path().join("out/2023-03/circular.typ")).unwrap();
    let attachment = pdf::Attachment {
        name: "tongbao-manifest.json",
        path: "out/2023-03/tongbao-manifest.json".into(),
        json: "{\"month\": \"2023-03\"}".into(),
        description: "tongbao 构建清单：源提交与输入文件摘要",
    };
    let in_source = format!(
        "{typ}\n#pdf.attach(\"{}\", bytes({}), mime-type: \"application/json\", description: \"{}\")\n",
        attachment.name,
        serde_json::to_string(&attachment.json).unwrap(),
        attachment.description
    );
    let plan = crate::output::Plan::default();
    let date = typst::foundations::Datetime::from_ymd(2023, 5, 5).unwrap();
    let fonts = std::sync::Arc::new(crate::typeset::FontSet::load(&project, false));
    let world = crate::typeset::TongbaoWorld::new(&project, fonts, "out/2023-03/circular.typ", in_source, date)
        .with_main_id("out/2023-03/circular.typ");
    let Ok(laid_out) = crate::typeset::compile(&world) else {
        panic!("the source with the attachment compiles")
    };
    let before = pdf::export(&laid_out.document, "tongbao/2023-03", date, &plan, None).unwrap();
    let now = pdf::export(&document, "tongbao/2023-03", date, &plan, Some(&attachment)).unwrap();
    assert!(
        before == now,
        "the PDFs differ ({} and {} bytes)",
        before.len(),
        now.len()
    );
    let manifest = crate::provenance::manifest_json(&now);
    assert_eq!(manifest, None, "not a manifest, but attached: {manifest:?}");
    assert!(
        now.windows(attachment.path.len())
            .any(|w| w == attachment.path.as_bytes())
    );
}

/// Fits laid out two at a time (a build on its own) choose what fits laid out one at a time (a
/// batch's worker, on rayon's pool) choose: the same generated source, with its decisions, and
/// the same PDF, for a month whose signature is fitted (2023-09).
#[test]
fn fits_side_by_side_choose_as_one_at_a_time() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for top in ["data", "templates", "fonts"] {
        for entry in walkdir::WalkDir::new(repo.join(top)) {
            let entry = entry.unwrap();
            let to = dir.path().join(entry.path().strip_prefix(repo).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(entry.path(), &to).unwrap();
            }
        }
    }
    let build = || {
        let project = Project::new(dir.path());
        let mut session = Session::open(Arc::new(Resolved::configured(&project)));
        let outcome = session.build("2023-09");
        assert!(outcome.pdf.is_some(), "{:?}", outcome.diagnostics);
        let out = dir.path().join("out/2023-09");
        let read = |f: &str| std::fs::read(out.join(f)).unwrap();
        (outcome.layouts, read("circular.typ"), read("circular.pdf"))
    };
    let side_by_side = build();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let one_at_a_time = pool.install(build);
    assert!(side_by_side.0 > 2, "2023-09 is fitted: {} layouts", side_by_side.0);
    assert!(one_at_a_time.1 == side_by_side.1, "the generated sources differ");
    assert!(one_at_a_time.2 == side_by_side.2, "the PDFs differ");
}

/// A build its caller stops once the pages are laid out (the live preview, overtaken by another
/// save) makes and writes nothing: the files of the build before stay as they were.
#[test]
fn a_build_stopped_after_its_layout_writes_nothing() {
    let dir = super::fuzz::project();
    let project = Project::new(dir.path());
    let resolved = Arc::new(Resolved::read(&project, &Asked::default()).unwrap());
    let mut session = Session::open(resolved);
    let first = session.build("2023-03");
    let pdf = dir.path().join(first.pdf.expect("the first build writes its PDF"));
    let before = std::fs::read(&pdf).unwrap();
    let mut seen = 0;
    let loaded = session.load("2023-03");
    let stopped = session.build_loaded(loaded, &mut |document, _| {
        seen = document.pages().len();
        super::AfterLayout::Break(())
    });
    assert!(seen > 0, "the pages were handed over");
    assert!(stopped.stopped);
    assert!(stopped.pdf.is_none() && stopped.outputs.is_empty() && stopped.typst.is_none());
    assert!(!stopped.failed() || stopped.diagnostics.iter().all(|d| !d.is_error()));
    assert_eq!(std::fs::read(&pdf).unwrap(), before);
}
