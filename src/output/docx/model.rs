//! The Word file's paragraphs and runs, and how they are written as WordprocessingML (elements in
//! the order the schema asks for: Word refuses a file whose properties are out of order).

use super::xml::Xml;

/// A run of text with one set of properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Run {
    pub text: String,
    /// A face for every script (CJK punctuation that must come from the Chinese face, as in the
    /// PDF).
    pub face: Option<String>,
    /// The face for Chinese text only (a heading's 黑体: its digits stay in the Latin face).
    pub east_asia: Option<String>,
    /// Half-points.
    pub size: Option<u32>,
    /// Character spacing, twips (1/20 pt).
    pub spacing: Option<i32>,
    /// `RRGGBB`.
    pub color: Option<&'static str>,
    /// A line break before the text.
    pub br: bool,
    /// The field `PAGE` instead of text (the text is the field's cached result).
    pub page_field: bool,
}

impl Run {
    pub(super) fn new(text: impl Into<String>) -> Run {
        Run {
            text: text.into(),
            ..Run::default()
        }
    }

    pub(super) fn face(mut self, face: &str) -> Run {
        self.face = Some(face.to_string());
        self
    }

    pub(super) fn size(mut self, half_points: u32) -> Run {
        self.size = Some(half_points);
        self
    }

    /// The same properties with another text.
    pub(super) fn with_text(&self, text: String) -> Run {
        Run { text, ..self.clone() }
    }
}

/// Indentation, twips; `first` is a first-line indent (positive) or a hanging indent (negative).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Indent {
    pub left: i32,
    pub right: i32,
    pub first: i32,
}

/// A paragraph.
#[derive(Debug, Clone, Default)]
pub(super) struct Para {
    pub style: &'static str,
    pub keep_next: bool,
    pub keep_lines: bool,
    pub page_break_before: bool,
    /// Exact line height, twips (the paragraph is then off the grid).
    pub exact: Option<i32>,
    pub indent: Option<Indent>,
    pub align: Option<&'static str>,
    pub runs: Vec<Run>,
}

impl Para {
    pub(super) fn new(style: &'static str) -> Para {
        Para {
            style,
            ..Para::default()
        }
    }

    pub(super) fn run(mut self, run: Run) -> Para {
        self.runs.push(run);
        self
    }

    pub(super) fn keep(mut self, next: bool, lines: bool) -> Para {
        self.keep_next = next;
        self.keep_lines = lines;
        self
    }

    pub(super) fn indent(mut self, left: i32, right: i32, first: i32) -> Para {
        self.indent = Some(Indent { left, right, first });
        self
    }

    /// The paragraph's text.
    pub(super) fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    pub(super) fn write(&self, x: &mut Xml) {
        x.open("w:p", &[]);
        self.properties(x);
        for run in &self.runs {
            run.write(x);
        }
        x.close("w:p");
    }

    fn properties(&self, x: &mut Xml) {
        x.open("w:pPr", &[]).val("w:pStyle", self.style);
        if self.keep_next {
            x.leaf("w:keepNext", &[]);
        }
        if self.keep_lines {
            x.leaf("w:keepLines", &[]);
        }
        if self.page_break_before {
            x.leaf("w:pageBreakBefore", &[]);
        }
        if let Some(h) = self.exact {
            x.val("w:snapToGrid", "0")
                .leaf("w:spacing", &[("w:line", &h.to_string()), ("w:lineRule", "exact")]);
        }
        if let Some(i) = self.indent {
            indent(x, i);
        }
        if let Some(a) = self.align {
            x.val("w:jc", a);
        }
        x.close("w:pPr");
    }
}

/// `<w:ind>`.
pub(super) fn indent(x: &mut Xml, i: Indent) {
    let (left, right) = (i.left.to_string(), i.right.to_string());
    let first = i.first.abs().to_string();
    let kind = if i.first < 0 { "w:hanging" } else { "w:firstLine" };
    x.leaf("w:ind", &[("w:left", &left), ("w:right", &right), (kind, &first)]);
}

/// `<w:rFonts>` naming one face for every script.
pub(super) fn fonts(x: &mut Xml, face: &str) {
    x.leaf(
        "w:rFonts",
        &[
            ("w:ascii", face),
            ("w:hAnsi", face),
            ("w:eastAsia", face),
            ("w:cs", face),
            ("w:hint", "eastAsia"),
        ],
    );
}

impl Run {
    fn write(&self, x: &mut Xml) {
        if self.br {
            x.open("w:r", &[]).leaf("w:br", &[]).close("w:r");
        }
        if self.page_field {
            self.field(x);
            return;
        }
        if self.text.is_empty() {
            return;
        }
        x.open("w:r", &[]);
        self.properties(x);
        x.element("w:t", &[("xml:space", "preserve")], &self.text);
        x.close("w:r");
    }

    fn properties(&self, x: &mut Xml) {
        if self.face.is_none()
            && self.east_asia.is_none()
            && self.size.is_none()
            && self.spacing.is_none()
            && self.color.is_none()
        {
            return;
        }
        x.open("w:rPr", &[]);
        if let Some(face) = &self.face {
            fonts(x, face);
        } else if let Some(face) = &self.east_asia {
            x.leaf("w:rFonts", &[("w:eastAsia", face), ("w:hint", "eastAsia")]);
        }
        if let Some(c) = self.color {
            x.val("w:color", c);
        }
        if let Some(s) = self.spacing {
            x.val("w:spacing", &s.to_string());
        }
        if let Some(s) = self.size {
            let s = s.to_string();
            x.val("w:sz", &s).val("w:szCs", &s);
        }
        x.close("w:rPr");
    }

    /// A `PAGE` field showing this run's text until the reader updates it.
    fn field(&self, x: &mut Xml) {
        let begin = |x: &mut Xml, kind: &str| {
            x.open("w:r", &[]);
            self.properties(x);
            x.leaf("w:fldChar", &[("w:fldCharType", kind)]).close("w:r");
        };
        begin(x, "begin");
        x.open("w:r", &[]);
        self.properties(x);
        x.element("w:instrText", &[("xml:space", "preserve")], " PAGE ")
            .close("w:r");
        begin(x, "separate");
        x.open("w:r", &[]);
        self.properties(x);
        x.element("w:t", &[], &self.text).close("w:r");
        begin(x, "end");
    }
}
