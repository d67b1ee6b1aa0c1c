//! LibreOffice as the tests' reader of the Word file and the workbook, with the project's bundled
//! fonts under the official names (a fontconfig file written for the run: its only font folder is
//! the project's `fonts/`, so the machine's own fonts, CJK or not, play no part), and the text and
//! word boxes of PDFs (poppler-utils).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Project;

/// The official faces the Word file and the workbook name, and the bundled stand-in each is
/// given to LibreOffice as (with the weight the PDF uses for it).
const FACES: [(&str, &str, &str); 6] = [
    ("方正小标宋简体", "Noto Serif CJK SC", "bold"),
    ("仿宋_GB2312", "FandolFang", "regular"),
    ("黑体", "Noto Sans CJK SC", "regular"),
    ("楷体_GB2312", "WenKai GB2312", "regular"),
    ("宋体", "Noto Serif CJK SC", "regular"),
    ("Times New Roman", "Liberation Serif", "regular"),
];

/// A LibreOffice with its own profile and fonts.
pub struct Office {
    dir: tempfile::TempDir,
}

impl Office {
    /// LibreOffice seeing only `p`'s `fonts/`, under the official names.
    pub fn new(p: &Project) -> Office {
        let dir = tempfile::tempdir().unwrap();
        let mut conf = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n<fontconfig>\n",
        );
        conf.push_str(&format!("  <dir>{}</dir>\n", p.path("fonts").display()));
        conf.push_str(&format!(
            "  <cachedir>{}</cachedir>\n",
            dir.path().join("cache").display()
        ));
        for (official, standin, weight) in FACES {
            conf.push_str(&format!(
                "  <match target=\"pattern\"><test name=\"family\"><string>{official}</string></test>\
                 <edit name=\"family\" mode=\"assign\" binding=\"strong\"><string>{standin}</string></edit>\
                 <edit name=\"weight\" mode=\"assign\" binding=\"strong\"><const>{weight}</const></edit></match>\n"
            ));
        }
        conf.push_str("</fontconfig>\n");
        std::fs::write(dir.path().join("fonts.conf"), conf).unwrap();
        Office { dir }
    }

    /// Converts `files` to PDF (one LibreOffice run), returning the PDFs in the same order.
    pub fn to_pdf(&self, files: &[PathBuf]) -> Vec<PathBuf> {
        let out_dir = self.dir.path().join("pdf");
        let out = Command::new("soffice")
            .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
            .arg(&out_dir)
            .args(files)
            .env("HOME", self.dir.path())
            .env("FONTCONFIG_FILE", self.dir.path().join("fonts.conf"))
            .output()
            .expect("LibreOffice (scripts/test installs libreoffice-writer-nogui and -calc-nogui)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        files
            .iter()
            .map(|f| {
                let pdf = out_dir.join(Path::new(f.file_name().unwrap()).with_extension("pdf"));
                assert!(pdf.exists(), "LibreOffice made no PDF of {}", f.display());
                pdf
            })
            .collect()
    }
}

/// The text of each page of a PDF (`pdftotext -layout`, pages split at form feeds).
pub fn page_texts(pdf: &Path) -> Vec<String> {
    let mut pages: Vec<String> = super::pdftotext(pdf).split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// A word as laid out in a PDF: its page (1-based), text and box in millimetres from the top left.
#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    pub text: String,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

/// Every word of a PDF with its box (`pdftotext -bbox`).
pub fn words(pdf: &Path) -> Vec<Word> {
    let out = Command::new("pdftotext")
        .args(["-bbox", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let html = String::from_utf8_lossy(&out.stdout);
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        let at = tag.find(&key).unwrap() + key.len();
        let end = tag[at..].find('"').unwrap();
        tag[at..at + end].parse::<f64>().unwrap() * 25.4 / 72.0
    };
    let mut page = 0;
    let mut out = Vec::new();
    for piece in html.split('<').skip(1) {
        if piece.starts_with("page ") {
            page += 1;
        } else if let Some(rest) = piece.strip_prefix("word ") {
            let (tag, text) = rest.split_once('>').unwrap();
            out.push(Word {
                page,
                text: text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"),
                y_min: attr(tag, "yMin"),
                x_max: attr(tag, "xMax"),
                y_max: attr(tag, "yMax"),
            });
        }
    }
    out
}

/// The size of each page of a PDF in millimetres (`pdfinfo -f 1 -l N`).
pub fn page_sizes(pdf: &Path) -> Vec<(f64, f64)> {
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "9999"])
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .map(|l| {
            let size = l.split("size:").nth(1).unwrap();
            let mut n = size.split_whitespace().filter_map(|t| t.parse::<f64>().ok());
            let mm = |pt: f64| pt * 25.4 / 72.0;
            (mm(n.next().unwrap()), mm(n.next().unwrap()))
        })
        .collect()
}

/// The box of the ink in a region of a page (mm from the page's top left), from the page rendered
/// at 300 dpi (`pdftoppm -gray`): where a reader sees the marks, whatever the fonts' metrics say.
pub fn ink(pdf: &Path, page: usize, region: (f64, f64, f64, f64)) -> Option<(f64, f64, f64, f64)> {
    const DPI: f64 = 300.0;
    let px = |mm: f64| (mm / 25.4 * DPI).round() as i64;
    let (x, y, w, h) = (
        px(region.0),
        px(region.1),
        px(region.2 - region.0),
        px(region.3 - region.1),
    );
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", "300", "-f", &page.to_string(), "-l", &page.to_string()])
        .args([
            "-x",
            &x.to_string(),
            "-y",
            &y.to_string(),
            "-W",
            &w.to_string(),
            "-H",
            &h.to_string(),
        ])
        .arg(pdf)
        .output()
        .expect("pdftoppm (poppler-utils)");
    let pgm = out.stdout;
    // P5 header: magic, width, height, maximum, each followed by one whitespace byte.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        let start = at;
        while at < pgm.len() && !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).to_string());
        at += 1;
    }
    let (width, height): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    let pixels = &pgm[at..];
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for row in 0..height {
        for col in 0..width {
            if pixels.get(row * width + col).is_some_and(|&v| v < 128) {
                (x0, y0, x1, y1) = (x0.min(col), y0.min(row), x1.max(col), y1.max(row));
            }
        }
    }
    let mm = |p: usize, origin: f64| origin + p as f64 * 25.4 / DPI;
    (x0 != usize::MAX).then(|| {
        (
            mm(x0, region.0),
            mm(y0, region.1),
            mm(x1 + 1, region.0),
            mm(y1 + 1, region.1),
        )
    })
}
