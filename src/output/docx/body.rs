//! The document's body: title, 主送, the text with its headings, the 附件说明, the signature, the
//! 附注 and the attachments, each paragraph with the PDF's lines ([`fit`]).

use super::fit::{self, Laid, Line, Measure};
use super::model::{Para, Run};
use super::xml::Xml;
use super::{Faces, Grid, parts, table};
use crate::render::Circular;

/// What the paragraphs are made with, and the XML they are written to.
struct Ctx<'a> {
    f: &'a Faces,
    g: &'a Grid,
    laid: Laid<'a>,
    x: Xml,
    /// The line height of the tightened tail once it has begun (the signature's page fitted):
    /// every paragraph and blank line after it up to the attachments is set at it.
    tight: Option<i32>,
}

/// `document.xml`.
pub(super) fn document(c: &Circular, f: &Faces, g: &Grid, lines: &[Line], number: Option<f64>) -> Vec<u8> {
    let mut x = Xml::new();
    x.open("w:document", &parts::NAMESPACES).open("w:body", &[]);
    let mut cx = Ctx {
        f,
        g,
        laid: Laid::new(lines),
        x,
        tight: None,
    };
    cx.number_line(c);
    cx.title(c);
    cx.text(c);
    cx.closing(c);
    for a in &c.公文.附件 {
        if let Some(t) = c.表.get(&a.表) {
            let label = if c.公文.附件.len() > 1 {
                format!("附件{}", a.序号)
            } else {
                "附件".to_string()
            };
            cx.attachment_head(&label, &t.标题);
            cx.attachment_body(t);
        }
    }
    x = cx.x;
    parts::section(&mut x, g, number);
    x.close("w:body").close("w:document");
    x.into_bytes()
}

impl<'a> Ctx<'a> {
    /// The width of a line in the text block less `indent` twips, pt.
    fn width(&self, indent: i32) -> f64 {
        self.g.width_pt() - f64::from(indent) / 20.0
    }

    /// Writes a paragraph, its runs fitted to the PDF's lines when the PDF has them.
    fn push(&mut self, p: Para, measure: Measure<'_>) {
        let lines = self.laid.take(&p.text());
        self.push_in(p, lines, measure);
    }

    /// Writes a paragraph, its runs fitted to `lines`.
    fn push_in(&mut self, mut p: Para, lines: Option<&[Line]>, measure: Measure<'_>) {
        if let Some(lines) = lines {
            p.runs = fit::fit(&p.runs, lines, &measure);
            if let Some(tight) = self.tightened(lines) {
                self.tight = Some(tight);
            }
        }
        if p.exact.is_none() {
            p.exact = self.tight;
        }
        p.write(&mut self.x);
    }

    /// The line height, twips, of a paragraph the PDF set tighter than the grid (the signature's
    /// page fitted, GB/T 9704 7.3.5): its lines' pitch (with the line after it) scaled from the
    /// PDF's grid to Word's; `None` on the grid.
    fn tightened(&self, lines: &[Line]) -> Option<i32> {
        let mut pitch = f64::INFINITY;
        let after = self.laid.next();
        for pair in lines.iter().chain(after).collect::<Vec<_>>().windows(2) {
            if pair[0].page == pair[1].page && pair[1].baseline > pair[0].baseline {
                pitch = pitch.min((pair[1].baseline - pair[0].baseline) * 72.0 / 25.4 * 20.0);
            }
        }
        (pitch < self.g.pdf_pitch - 10.0).then(|| (pitch * f64::from(self.g.pitch) / self.g.pdf_pitch).floor() as i32)
    }

    /// A body paragraph's measure: justified, its first line indented two characters.
    fn justified(&self, indent: i32) -> Measure<'a> {
        Measure {
            first: self.width(indent),
            rest: self.width(0),
            justified: true,
            default: self.g.spacing,
            cjk: &self.f.body.name,
        }
    }

    /// A flush paragraph's measure (left, right or centred lines that are not filled).
    fn flush(&self, first: i32, rest: i32, default: i32) -> Measure<'a> {
        Measure {
            first: self.width(first),
            rest: self.width(rest),
            justified: false,
            default,
            cjk: &self.f.body.name,
        }
    }

    fn blank(&mut self, keep_next: bool) {
        let mut p = Para::new("BodyText").keep(keep_next, false);
        p.exact = self.tight;
        p.write(&mut self.x);
    }

    /// The title: `标题行`, each line as the PDF laid it out, with explicit breaks, over as many
    /// grid lines as the PDF gives it; then a blank line.
    fn title(&mut self, c: &Circular) {
        let doc = &c.公文;
        let whole: String = doc.标题行.concat();
        let found = self.laid.take(&whole);
        let lines: Vec<String> = match found {
            Some(laid) => split_as(&whole, laid),
            None => doc.标题行.clone(),
        };
        let size = found.and_then(|l| l.first()).map_or(self.g.spec.title_size, |l| l.size);
        // The grid lines the title takes in the PDF: up to the line after the blank under it.
        let k = lines.len().max(1) as i32;
        let n = match (found.and_then(|l| l.first()), self.laid.next()) {
            (Some(first), Some(next)) if next.page == first.page => self.grid_line(next.baseline) - 1,
            _ => k + 1,
        }
        .max(k);
        let mut p = Para::new("Title");
        p.exact = Some(n * self.g.pitch / k);
        for (i, line) in lines.iter().enumerate() {
            let mut run = Run::new(line.clone()).size((size * 2.0).round() as u32);
            run.br = i > 0;
            p.runs.push(run);
        }
        let f = self.f;
        let m = Measure {
            cjk: &f.title.name,
            ..self.flush(0, 0, 0)
        };
        self.push_in(p, found, m);
        self.blank(false);
    }

    /// The 发文字号 of a circular without the red header, flush right, a blank line under it.
    fn number_line(&mut self, c: &Circular) {
        let (true, Some(number)) = (c.公文.版式.字号单列, &c.公文.发文字号) else {
            return;
        };
        let mut p = Para::new("BodyText").run(Run::new(number.clone()));
        p.align = Some("right");
        let p = p.indent(0, 0, 0);
        let m = self.flush(0, 0, self.g.spacing);
        self.push(p, m);
        self.blank(false);
    }

    /// The PDF's grid line (0 = the first line of the text block) a baseline lies on.
    fn grid_line(&self, baseline: f64) -> i32 {
        let s = &self.g.spec;
        let pitch_mm = (s.body_size + s.gap) * 25.4 / 72.0;
        ((baseline - s.top) / pitch_mm).floor() as i32
    }

    /// 主送 and the body: paragraphs, headings standing alone or run in.
    fn text(&mut self, c: &Circular) {
        let doc = &c.公文;
        if let Some(r) = &doc.主送 {
            let p = Para::new("Recipients").run(Run::new(format!("{r}：")));
            let m = self.flush(0, 0, self.g.spacing);
            self.push(p, m);
        }
        let indent = self.g.chars(2.0);
        let last = doc.正文.len().saturating_sub(1);
        for (i, b) in doc.正文.iter().enumerate() {
            let face = match b.级别 {
                1 => Some(self.f.h1.name.clone()),
                2 => Some(self.f.h2.name.clone()),
                _ => None,
            };
            let style = match b.级别 {
                0 => "BodyText",
                1 => "Heading1",
                2 => "Heading2",
                3 => "Heading3",
                _ => "Heading4",
            };
            let head = |h: &String| Run {
                east_asia: face.clone(),
                ..Run::new(h.clone())
            };
            let p = match (&b.标题, &b.正文) {
                (None, Some(text)) => Para::new(style).run(Run::new(text.clone())),
                (Some(h), None) => Para::new(style).run(head(h)).keep(true, false),
                (Some(h), Some(text)) => Para::new("BodyText").run(head(h)).run(Run::new(text.clone())),
                (None, None) => continue,
            };
            // The last paragraph stays with the signature when no 附件说明 comes between (as in
            // the PDF, where it is sticky).
            let p = if i == last && b.级别 == 0 && doc.附件.is_empty() {
                p.keep(true, true)
            } else {
                p
            };
            let m = self.justified(indent);
            self.push(p, m);
        }
    }

    /// The 附件说明, the signature and date, the 附注.
    fn closing(&mut self, c: &Circular) {
        self.attachment_note(c);
        if let Some(contact) = &c.公文.联系 {
            let p = Para::new("BodyText")
                .run(Run::new(format!("（{contact}）")))
                .keep(true, true);
            let m = self.justified(self.g.chars(2.0));
            self.push(p, m);
        }
        self.signature(c);
        if let Some(note) = &c.公文.附注 {
            let p = Para::new("BodyText").run(Run::new(format!("（{note}）")));
            let m = self.justified(self.g.chars(2.0));
            self.push(p, m);
        }
    }

    /// 附件说明: two characters in; further items under the first item's number, wrapped names
    /// under the first character of the name; the whole kept with the signature.
    fn attachment_note(&mut self, c: &Circular) {
        let items = &c.公文.附件;
        if items.is_empty() {
            return;
        }
        self.blank(true);
        let g = self.g;
        let single = items.len() == 1;
        // The number column is as wide as the widest number with its “．” (Latin digits half a
        // character wide).
        let digits = items.iter().map(|a| a.序号.to_string().len()).max().unwrap_or(1) as f64;
        let number = if single {
            0
        } else {
            g.chars(1.0) + g.chars(digits / 2.0)
        };
        let name = g.chars(5.0) + number;
        for (i, a) in items.iter().enumerate() {
            let text = match (single, i) {
                (true, _) => format!("附件：{}", a.名称),
                (false, 0) => format!("附件：{}．{}", a.序号, a.名称),
                (false, _) => format!("{}．{}", a.序号, a.名称),
            };
            let start = if i == 0 { g.chars(2.0) } else { g.chars(5.0) };
            let p = Para::new("AttachmentNote")
                .run(Run::new(text))
                .indent(name, 0, -(name - start))
                .keep(true, true);
            let m = self.flush(start, name, self.g.spacing);
            self.push(p, m);
        }
    }

    /// The offices (右空二字) and the date, where the PDF puts them; kept in one piece.
    fn signature(&mut self, c: &Circular) {
        let doc = &c.公文;
        self.blank(true);
        let g = self.g;
        let count = doc.署名.len();
        let mut lines: Vec<(String, bool)> = doc.署名.iter().map(|o| (o.clone(), true)).collect();
        lines.push((doc.成文日期.clone(), false));
        for (i, (text, office)) in lines.into_iter().enumerate() {
            let found = self.laid.take(&text);
            let left = found
                .and_then(|l| l.first())
                .map(|l| super::twips(l.x - g.spec.left).max(0));
            let mut p = Para::new("Signature").run(Run::new(text)).keep(i < count, true);
            p = match left {
                Some(left) => {
                    p.align = Some("left");
                    p.indent(left, 0, 0)
                }
                // Where the PDF cannot be read: 右空二字, the date two characters further in.
                None if office => p.indent(0, g.chars(2.0), 0),
                None => p.indent(0, g.chars(4.0), 0),
            };
            let m = self.flush(left.unwrap_or(0), left.unwrap_or(0), self.g.spacing);
            self.push_in(p, found, m);
        }
    }

    /// An attachment's text, or its tables: each sub-table under its caption, the 总计 under the
    /// last.
    fn attachment_body(&mut self, t: &crate::aggregate::TableOut) {
        for p in &t.正文 {
            let para = Para::new("BodyText").run(Run::new(p.clone()));
            let m = self.justified(self.g.chars(2.0));
            self.push(para, m);
        }
        let last = t.分表.len().saturating_sub(1);
        for (i, part) in t.分表.iter().enumerate() {
            if let Some(caption) = &part.标题 {
                let p = Para::new("TableCaption")
                    .run(Run::new(caption.clone()))
                    .keep(true, false);
                let m = self.flush(0, 0, self.g.spacing);
                self.push(p, m);
            }
            let grand = if i == last { t.总计.as_ref() } else { None };
            table::table(&mut self.x, t, part, grand, self.g);
        }
    }

    /// An attachment's first lines: 附件N on line 1, its title on line 3, the table from line 5
    /// (the blank line before it as tall as the PDF's lines, which are a little taller than Word's).
    fn attachment_head(&mut self, label: &str, title: &str) {
        self.tight = None;
        let mut p = Para::new("AttachmentLabel").run(Run::new(label));
        p.page_break_before = true;
        let m = self.flush(0, 0, self.g.spacing);
        self.push(p, m);
        self.blank(false);
        let p = Para::new("AttachmentTitle").run(Run::new(title));
        let f = self.f;
        let m = Measure {
            cjk: &f.title.name,
            ..self.flush(0, 0, 0)
        };
        self.push(p, m);
        let g = self.g;
        let extra = (4.0 * g.pdf_pitch).round() as i32 - 4 * g.pitch;
        let mut blank = Para::new("BodyText");
        blank.exact = Some(g.pitch + extra.max(0));
        blank.write(&mut self.x);
    }
}

/// `text` cut where the PDF's lines end (whitespace stays with the line before).
fn split_as(text: &str, lines: &[Line]) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut counts = lines.iter().map(|l| l.chars.len());
    let mut left = counts.next().unwrap_or(usize::MAX);
    for c in text.chars() {
        if !c.is_whitespace() {
            if left == 0 {
                out.push(String::new());
                left = counts.next().unwrap_or(usize::MAX);
            }
            left = left.saturating_sub(1);
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}
