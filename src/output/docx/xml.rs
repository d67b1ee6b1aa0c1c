//! A small XML writer for the Word file's parts, and the zip they are packed in (fixed timestamps
//! and permissions, so the same document gives the same bytes).

use std::io::Write;

/// An XML document written element by element.
pub(super) struct Xml(String);

impl Xml {
    /// A new document with its XML declaration.
    pub(super) fn new() -> Xml {
        Xml(String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        ))
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.0.push('<');
        self.0.push_str(name);
        for (key, value) in attrs {
            self.0.push(' ');
            self.0.push_str(key);
            self.0.push_str("=\"");
            escape(value, &mut self.0);
            self.0.push('"');
        }
    }

    /// `<name attrs>`.
    pub(super) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Xml {
        self.tag(name, attrs);
        self.0.push('>');
        self
    }

    /// `</name>`.
    pub(super) fn close(&mut self, name: &str) -> &mut Xml {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `<name attrs/>`.
    pub(super) fn leaf(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Xml {
        self.tag(name, attrs);
        self.0.push_str("/>");
        self
    }

    /// `<name w:val="value"/>`, the shape of most WordprocessingML properties.
    pub(super) fn val(&mut self, name: &str, value: &str) -> &mut Xml {
        self.leaf(name, &[("w:val", value)])
    }

    /// Escaped character data.
    pub(super) fn text(&mut self, text: &str) -> &mut Xml {
        escape(text, &mut self.0);
        self
    }

    /// `<name>text</name>`.
    pub(super) fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Xml {
        self.open(name, attrs).text(text).close(name)
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

/// Escapes text for element content and attribute values; drops characters XML 1.0 cannot hold.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Packs the parts into a zip (deflated, dated 1980-01-01 as zip's epoch, one permission).
pub(super) fn pack(parts: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, String> {
    use zip::write::SimpleFileOptions;
    let fail = |e: &dyn std::fmt::Display| format!("无法生成 Word 文件：{e}");
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        zip.start_file(*name, options).map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut x = Xml::new();
        x.open("a", &[("k", "\"<&>")]).text("<b>&\u{1}").close("a");
        let s = String::from_utf8(x.into_bytes()).unwrap();
        assert!(s.ends_with(r#"<a k="&quot;&lt;&amp;&gt;">&lt;b&gt;&amp;</a>"#), "{s}");
    }
}
