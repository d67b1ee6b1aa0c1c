//! The circular as OFD (GB/T 33190), checked by readers no one here wrote: `ofd-core` opens and
//! validates the package and renders every page, which must look like the PDF's page rendered by
//! poppler at the same resolution; easyofd (Python, from PyPI) extracts the text, which must hold
//! every sentence and table row of the circular.

use std::path::Path;
use std::process::Command;

use crate::util::{MARCH_TEXT, Project, SEED_ROWS, normalise, output, seed_sentences, without_page_numbers};

/// Resolution of the render comparison.
const DPI: f64 = 100.0;
/// A 1 mm square "differs" when its mean grey levels (0–255) in the two renders are further
/// apart than this.
const SQUARE: i64 = 48;
/// At most this share of a page's inked squares may differ. The March circular's pages differ by
/// 0.1–3.5 % (the most on page 1, whose title is bold 22 pt: the two rasterisers embolden its
/// strokes differently); every text object moved by 0.3 mm makes page 1 differ by 24 %.
const PAGE_SHARE: f64 = 0.05;

fn build(p: &Project, args: &[&str]) {
    let mut all = vec!["build", "2023-03"];
    all.extend(args);
    let out = p.run(&all);
    assert!(out.status.success(), "{}", output(&out));
}

/// A page of a PDF in grey, as poppler's pdftoppm renders it at `DPI`.
fn pdf_page(pdf: &Path, page: usize) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let n = page.to_string();
    let out = Command::new("pdftoppm")
        .args([
            "-gray",
            "-png",
            "-singlefile",
            "-r",
            &DPI.to_string(),
            "-f",
            &n,
            "-l",
            &n,
        ])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (poppler-utils; scripts/test installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(prefix.with_extension("png")).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let grey = match info.color_type {
        png::ColorType::Grayscale => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).map(|px| grey(px[0], px[1], px[2])).collect(),
        other => panic!("pdftoppm wrote {other:?}"),
    };
    (info.width as usize, info.height as usize, grey)
}

/// Luma (Rec. 601) of an opaque pixel.
fn grey(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

/// A page of the OFD in grey, as ofd-core renders it at `DPI` on white.
fn ofd_pages(file: &Path) -> Vec<(usize, usize, Vec<u8>)> {
    let mut reader = ofd_core::OfdReader::open(file).unwrap();
    let body = reader.ofd().doc_bodies[0].clone();
    let doc = reader.load_document(&body).unwrap();
    let options = ofd_core::RenderOptions::with_dpi(DPI);
    (0..doc.pages().len())
        .map(|i| {
            let pixmap = reader.render_page(&doc, i, &options).unwrap();
            let grey = pixmap
                .data()
                .chunks_exact(4)
                .map(|px| grey(px[0], px[1], px[2]))
                .collect();
            (pixmap.width() as usize, pixmap.height() as usize, grey)
        })
        .collect()
}

/// How far two renders of a page are apart: the share of the inked 1 mm squares (4 × 4 pixels,
/// not white in one render at least) whose mean grey levels differ by more than `SQUARE`, and the share of ink in each render (so that a blank
/// render cannot pass). Squares, not pixels: the two rasterisers anti-alias differently (poppler
/// draws a hairline a full pixel dark where tiny-skia draws it grey), which changes pixels but not
/// what a square holds, while a glyph missing or moved by half its size changes whole squares.
fn compare(a: &(usize, usize, Vec<u8>), b: &(usize, usize, Vec<u8>)) -> (f64, f64, f64) {
    assert!(
        a.0.abs_diff(b.0) <= 1 && a.1.abs_diff(b.1) <= 1,
        "page sizes {}×{} and {}×{}",
        a.0,
        a.1,
        b.0,
        b.1
    );
    let (w, h) = (a.0.min(b.0) / 4, a.1.min(b.1) / 4);
    let mean = |img: &(usize, usize, Vec<u8>), bx: usize, by: usize| -> i64 {
        let mut sum = 0i64;
        for y in by * 4..by * 4 + 4 {
            for x in bx * 4..bx * 4 + 4 {
                sum += i64::from(img.2[y * img.0 + x]);
            }
        }
        sum / 16
    };
    let (mut differ, mut inked) = (0usize, 0usize);
    for by in 0..h {
        for bx in 0..w {
            let (ma, mb) = (mean(a, bx, by), mean(b, bx, by));
            differ += usize::from((ma - mb).abs() > SQUARE);
            inked += usize::from(ma.min(mb) < 224);
        }
    }
    let ink = |img: &(usize, usize, Vec<u8>)| img.2.iter().filter(|p| **p < 128).count() as f64 / img.2.len() as f64;
    (differ as f64 / inked.max(1) as f64, ink(a), ink(b))
}

/// Every page of the OFD, rendered by ofd-core, against the same page of the PDF.
fn assert_renders_like_the_pdf(ofd: &Path, pdf: &Path) {
    let pages = ofd_pages(ofd);
    assert_eq!(pages.len(), pdf_pages(pdf), "page count");
    for (i, page) in pages.iter().enumerate() {
        let theirs = pdf_page(pdf, i + 1);
        if let Some(dir) = std::env::var_os("TONGBAO_OFD_RENDERS") {
            // For a look at what the readers show: both renders of every page.
            for (name, (w, h, px)) in [("ofd", page), ("pdf", &theirs)] {
                let file = std::fs::File::create(Path::new(&dir).join(format!("{name}-{}.png", i + 1))).unwrap();
                let mut encoder = png::Encoder::new(file, *w as u32, *h as u32);
                encoder.set_color(png::ColorType::Grayscale);
                encoder.write_header().unwrap().write_image_data(px).unwrap();
            }
        }
        let (differ, ink_ofd, ink_pdf) = compare(page, &theirs);
        eprintln!(
            "page {}: {:.3} % of inked 1 mm squares differ; ink {:.2} % (OFD) / {:.2} % (PDF)",
            i + 1,
            differ * 100.0,
            ink_ofd * 100.0,
            ink_pdf * 100.0
        );
        assert!(ink_pdf > 0.001, "page {} of the PDF has ink", i + 1);
        assert!(
            differ <= PAGE_SHARE,
            "page {}: {:.3} % of inked 1 mm squares differ from the PDF's page (at most {} %)",
            i + 1,
            differ * 100.0,
            PAGE_SHARE * 100.0
        );
    }
}

fn pdf_pages(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap()))
        .unwrap()
}

/// Every part of the package, by name.
fn parts(file: &Path) -> Vec<(String, Vec<u8>)> {
    let mut package = ofd_core::OfdPackage::open(file).unwrap();
    let mut names = package.entries();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), package.read(&n).unwrap()))
        .collect()
}

/// The values of attribute `name` in an XML text.
fn attrs<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let key = format!(" {name}=\"");
    xml.match_indices(&key)
        .filter_map(|(i, _)| {
            let rest = &xml[i + key.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The package's structure as GB/T 33190 has it, beyond what ofd-core's validation looks at:
/// every ID unique and within `MaxUnitID`, every font and image a reference resolves to embedded
/// in the package, every font a subset that parses.
fn assert_structure(file: &Path) {
    let report = ofd_core::verify::check_path(file);
    assert!(report.conforms(), "ofd-core: {:?}", report.problems);
    let parts = parts(file);
    let text = |name: &str| {
        let (_, bytes) = parts
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        String::from_utf8(bytes.clone()).unwrap()
    };
    let document = text("Doc_0/Document.xml");
    let max: u32 = document
        .split("<ofd:MaxUnitID>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .parse()
        .unwrap();
    let mut ids: Vec<u32> = parts
        .iter()
        .filter(|(n, _)| n.ends_with(".xml"))
        .flat_map(|(_, b)| {
            attrs(std::str::from_utf8(b).unwrap(), "ID")
                .into_iter()
                .map(|v| v.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "IDs are unique");
    assert!(
        ids.iter().all(|id| *id >= 1 && *id <= max),
        "IDs within MaxUnitID {max}"
    );
    let public = text("Doc_0/PublicRes.xml");
    let fonts = attrs(&public, "ID");
    assert!(!fonts.is_empty());
    for file in public
        .split("<ofd:FontFile>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap())
    {
        let (_, bytes) = parts
            .iter()
            .find(|(n, _)| *n == format!("Doc_0/Res/{file}"))
            .unwrap_or_else(|| panic!("font {file} embedded"));
        let face = ttf_parser::Face::parse(bytes, 0).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(face.number_of_glyphs() < 2000, "{file} is a subset");
        assert!(face.tables().cmap.is_some(), "{file} maps characters");
    }
    for (name, bytes) in parts.iter().filter(|(n, _)| n.ends_with("Content.xml")) {
        let xml = std::str::from_utf8(bytes).unwrap();
        for font in attrs(xml, "Font") {
            assert!(fonts.contains(&font), "{name}: font {font} is in PublicRes.xml");
        }
        for image in attrs(xml, "ResourceID") {
            assert!(
                text("Doc_0/DocumentRes.xml").contains(&format!("ID=\"{image}\"")),
                "{name}: image {image}"
            );
        }
    }
}

/// What easyofd (Python, PyPI) reads from the OFD: its pages' text, in the order it lists it.
fn easyofd(file: &Path) -> serde_json::Value {
    let python = std::env::var("TONGBAO_OFD_PYTHON")
        .expect("TONGBAO_OFD_PYTHON: scripts/test installs easyofd in a virtual environment");
    // easyofd unpacks into its working folder's path up to the first '.', and removes that
    // folder afterwards: the folder must be a fresh one whose path holds no dot.
    let work = tempfile::Builder::new().prefix("easyofd-").tempdir().unwrap();
    assert!(
        !work.path().to_string_lossy().contains('.'),
        "{}",
        work.path().display()
    );
    let script = r#"
import base64, json, os, sys
from loguru import logger
logger.remove()
from easyofd.parser_ofd import OFDParser
doc = OFDParser(base64.b64encode(open(sys.argv[1], "rb").read()).decode())()[0]
pages = doc["page_info"]
json.dump({"pages": len(pages),
           "text": ["".join(c["text"] for c in pages[k]["text_list"]) for k in sorted(pages)]},
          open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(file)
        .arg(work.path().join("read.json"))
        .current_dir(work.path())
        .output()
        .expect("the easyofd virtual environment's python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = std::fs::read(work.path().join("read.json")).unwrap();
    serde_json::from_slice(&read).unwrap()
}

#[test]
fn the_ofd_opens_validates_and_renders_like_the_pdf() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,ofd"]);
    let (ofd, pdf) = (p.path("out/2023-03/circular.ofd"), p.path("out/2023-03/circular.pdf"));
    assert_structure(&ofd);
    // The document info: title, the issuing office, the date of issue.
    let entry = parts(&ofd).into_iter().find(|(n, _)| n == "OFD.xml").expect("OFD.xml");
    let entry = String::from_utf8(entry.1).unwrap();
    assert!(
        entry.contains("<ofd:Title>西宁市城中区人民政府办公室关于2023年3月份"),
        "{entry}"
    );
    assert!(
        entry.contains("<ofd:Author>西宁市城中区人民政府办公室</ofd:Author>"),
        "{entry}"
    );
    assert!(
        entry.contains("<ofd:CreationDate>2023-05-05</ofd:CreationDate>"),
        "{entry}"
    );
    assert_renders_like_the_pdf(&ofd, &pdf);
}

/// Every embedded face has TrueType outlines (what every OFD reader draws; reportlab-based ones
/// refuse CFF), and easyofd's own conversion of the OFD to PDF finishes with every page (it
/// did not, in four minutes, while the faces were CFF).
#[test]
fn the_faces_are_truetype_and_easyofds_conversion_finishes() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,ofd"]);
    let ofd = p.path("out/2023-03/circular.ofd");
    let faces: Vec<(String, Vec<u8>)> = parts(&ofd)
        .into_iter()
        .filter(|(n, _)| n.starts_with("Doc_0/Res/font_"))
        .collect();
    assert!(faces.len() >= 4, "{:?}", faces.iter().map(|f| &f.0).collect::<Vec<_>>());
    for (name, bytes) in &faces {
        assert!(name.ends_with(".ttf"), "{name}");
        assert_eq!(&bytes[..4], &[0, 1, 0, 0], "{name}: a TrueType sfnt");
        let face = ttf_parser::Face::parse(bytes, 0).unwrap();
        assert!(face.tables().glyf.is_some() && face.tables().cff.is_none(), "{name}");
    }
    let python = std::env::var("TONGBAO_OFD_PYTHON")
        .expect("TONGBAO_OFD_PYTHON: scripts/test installs easyofd in a virtual environment");
    let work = tempfile::Builder::new().prefix("easyofd-").tempdir().unwrap();
    let script = r#"
import sys
from loguru import logger
logger.remove()
from easyofd.ofd import OFD
ofd = OFD()
ofd.read(sys.argv[1], fmt="path")
open(sys.argv[2], "wb").write(ofd.to_pdf())
"#;
    let converted = work.path().join("easyofd.pdf");
    let out = Command::new(python)
        .args(["-c", script])
        .arg(&ofd)
        .arg(&converted)
        .current_dir(work.path())
        .output()
        .expect("the easyofd virtual environment's python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(pdf_pages(&converted), pdf_pages(&p.path("out/2023-03/circular.pdf")));
}

#[test]
fn easyofd_reads_every_sentence_and_row_from_the_ofd() {
    let p = Project::march_only();
    build(&p, &["--outputs", "ofd"]);
    let read = easyofd(&p.path("out/2023-03/circular.ofd"));
    assert_eq!(
        read["pages"].as_u64().unwrap() as usize,
        pdf_pages(&p.path("out/2023-03/circular.pdf"))
    );
    let pages: Vec<String> = read["text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            normalise(page).contains(&format!("—{}—", i + 1)),
            "page number on page {}",
            i + 1
        );
    }
    let text = without_page_numbers(&normalise(&pages.concat()));
    for (sentence, s) in seed_sentences() {
        assert!(text.contains(&s), "easyofd does not read {sentence}");
    }
    for row in SEED_ROWS {
        assert!(text.contains(row), "easyofd does not read the row {row}");
    }
}

#[test]
fn the_ofd_is_reproducible_named_in_the_manifest_and_escapes_hostile_text() {
    let p = Project::march_only();
    // A unit whose name is markup: it stays text in the XML.
    let hostile = "区<审计>&\"局'";
    p.edit(
        "data/units.yaml",
        "{名称: 区审计局,",
        &format!("{{名称: '{}',", hostile.replace('\'', "''")),
    );
    for table in ["710", "portal"] {
        p.edit(
            &format!("data/2023-03/{table}.yaml"),
            "{单位: 区审计局,",
            &format!("{{单位: '{}',", hostile.replace('\'', "''")),
        );
    }
    p.edit(MARCH_TEXT, "区审计局、", "区财政局、");
    build(&p, &["--outputs", "ofd"]);
    let file = p.path("out/2023-03/circular.ofd");
    let first = std::fs::read(&file).unwrap();
    assert_structure(&file);
    let pages: String = parts(&file)
        .into_iter()
        .filter(|(n, _)| n.ends_with("Content.xml"))
        .map(|(_, b)| String::from_utf8(b).unwrap())
        .collect();
    let text: String = pages
        .split("<ofd:TextCode")
        .skip(1)
        .filter_map(|s| {
            s.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</ofd:TextCode>"))
        })
        .map(|(t, _)| quick_xml::escape::unescape(t).unwrap().to_string())
        .collect();
    assert!(
        pages.contains("&lt;") && text.contains(hostile),
        "markup escaped, and read back as it was"
    );
    let manifest = tongbao::provenance::read_manifest(&std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap())
        .expect("manifest");
    assert_eq!(
        manifest.outputs.get("out/2023-03/circular.ofd").map(String::as_str),
        Some(sha256(&first).as_str()),
        "the PDF's manifest names the OFD with its digest"
    );
    std::fs::remove_file(&file).unwrap();
    build(&p, &["--outputs", "ofd"]);
    assert_eq!(std::fs::read(&file).unwrap(), first, "the same bytes");
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

const SEAL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">
<circle cx="200" cy="200" r="190" fill="none" stroke="#e60012" stroke-width="12"/>
<polygon points="200,100 223,170 297,170 237,213 260,283 200,240 140,283 163,213 103,170 177,170" fill="#e60012"/>
</svg>"##;

/// The red colours (`r g b` with r ≥ 200, g and b ≤ 60) of the objects named `object` in `xml`.
fn reds(xml: &str, object: &str) -> usize {
    xml.split(&format!("<ofd:{object} "))
        .skip(1)
        .filter(|o| {
            let o = o.split(&format!("</ofd:{object}>")).next().unwrap();
            attrs(o, "Value").iter().any(|v| {
                let c: Vec<u32> = v.split(' ').filter_map(|n| n.parse().ok()).collect();
                c.len() == 3 && c[0] >= 200 && c[1] <= 60 && c[2] <= 60
            })
        })
        .count()
}

#[test]
fn a_sealed_circular_with_its_red_header_keeps_the_seal_and_the_red_in_the_ofd() {
    let p = Project::march_only();
    std::fs::create_dir(p.path("assets")).unwrap();
    p.write("assets/seal.svg", SEAL);
    let doc = p
        .read("data/2023-03/document.yaml")
        .replace("# 发文字号: 城中政办〔2023〕12号", "发文字号: 城中政办〔2023〕12号");
    p.write(
        "data/2023-03/document.yaml",
        &format!("{doc}版式:\n  版头: true\n  印章: assets/seal.svg\n"),
    );
    build(&p, &["--outputs", "pdf,ofd"]);
    let ofd = p.path("out/2023-03/circular.ofd");
    assert_structure(&ofd);
    let parts = parts(&ofd);
    let pages: String = parts
        .iter()
        .filter(|(n, _)| n.ends_with("Content.xml"))
        .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
        .collect();
    assert!(reds(&pages, "TextObject") >= 1, "the red mark is red text");
    assert!(reds(&pages, "PathObject") >= 1, "the red rule is a red path");
    assert_eq!(pages.matches("<ofd:ImageObject ").count(), 1, "the seal is an image");
    // The SVG seal is embedded as a PNG, red on transparent.
    let (_, png_file) = parts
        .iter()
        .find(|(n, _)| n.ends_with(".png"))
        .expect("the seal's image");
    let decoder = png::Decoder::new(std::io::Cursor::new(png_file.as_slice()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    let px: Vec<&[u8]> = buf[..info.buffer_size()].chunks_exact(4).collect();
    assert!(px.iter().any(|p| p[3] == 0), "transparent around the seal");
    assert!(px.iter().any(|p| p[3] == 255 && p[0] > 200 && p[1] < 60), "and red");
    assert_renders_like_the_pdf(&ofd, &p.path("out/2023-03/circular.pdf"));
}

#[test]
fn an_issued_month_carries_its_ofd_in_the_record_like_its_pdf() {
    let p = Project::march_only();
    p.write("tongbao.yaml", "输出: [pdf, ofd]\n");
    let out = p.run(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let issued = std::fs::read(p.path("data/2023-03/issued.ofd")).expect("the OFD is issued beside the PDF");
    assert_eq!(issued, std::fs::read(p.path("out/2023-03/circular.ofd")).unwrap());
    let record = p.read("data/2023-03/issued.yaml");
    assert!(record.contains(&format!("OFD摘要: {}", sha256(&issued))), "{record}");
    assert_eq!(p.errors().0, 0, "issued and unchanged: check passes");
    // build writes the issued OFD itself.
    std::fs::remove_file(p.path("out/2023-03/circular.ofd")).unwrap();
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    assert_eq!(std::fs::read(p.path("out/2023-03/circular.ofd")).unwrap(), issued);
    // The issued OFD cannot be changed behind the record's back.
    let mut tampered = issued.clone();
    tampered.push(0);
    std::fs::write(p.path("data/2023-03/issued.ofd"), tampered).unwrap();
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "issued-ofd" && d["file"] == "data/2023-03/issued.yaml"),
        "{errors:#?}"
    );
}
