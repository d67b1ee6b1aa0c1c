//! The Typst `World`: the generated main source from memory, other files read only from inside the
//! project root (symlinks pointing outside are refused), fonts from [`FontSet`], a fixed date, no
//! packages and no network.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use super::fonts::FontSet;
use crate::project::{Project, ReadError};

/// A small world for compiling one generated circular at a time. Keep it alive between compiles
/// (watch mode) so unchanged files, fonts and layout are reused.
pub(crate) struct TongbaoWorld {
    project: Project,
    library: LazyHash<Library>,
    fonts: Arc<FontSet>,
    main: FileId,
    main_source: Source,
    today: Datetime,
    sources: Mutex<HashMap<FileId, FileResult<Source>>>,
    files: Mutex<HashMap<FileId, FileResult<Bytes>>>,
}

impl TongbaoWorld {
    /// A world for `project`. `main_path` is the root-relative path the generated source claims
    /// (e.g. `out/2023-03/circular.typ`), so relative paths in it resolve as they would for the
    /// stock `typst` CLI run with `--root`.
    pub(crate) fn new(
        project: &Project,
        fonts: Arc<FontSet>,
        main_path: &str,
        text: String,
        today: Datetime,
    ) -> TongbaoWorld {
        let main = file_id(main_path);
        TongbaoWorld {
            project: project.clone(),
            library: LazyHash::new(Library::builder().build()),
            fonts,
            main,
            main_source: Source::new(main, text),
            today,
            sources: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the main source (incrementally, so unchanged parts are not reparsed), points it at
    /// `main_path`, and forgets cached files so edits on disk are seen.
    pub(crate) fn update(&mut self, main_path: &str, text: &str, today: Datetime) {
        let id = file_id(main_path);
        if id == self.main {
            self.main_source.replace(text);
        } else {
            self.main = id;
            self.main_source = Source::new(id, text.to_string());
        }
        self.today = today;
        self.reset();
    }

    /// Forgets cached files (call after files on disk may have changed).
    pub(crate) fn reset(&mut self) {
        self.sources.get_mut().map(HashMap::clear).ok();
        self.files.get_mut().map(HashMap::clear).ok();
    }

    /// Root-relative path of a file id, for messages.
    pub(crate) fn display_path(&self, id: FileId) -> PathBuf {
        PathBuf::from(id.vpath().get_without_slash())
    }

    fn read(&self, id: FileId) -> FileResult<Vec<u8>> {
        if !matches!(id.root(), VirtualRoot::Project) {
            return Err(FileError::Package(PackageError::Other(Some(
                "tongbao 不使用 Typst 包".into(),
            ))));
        }
        let rel = PathBuf::from(id.vpath().get_without_slash());
        let path = self.project.path(&rel);
        if path.is_dir() {
            return Err(FileError::IsDirectory);
        }
        self.project.read(&rel).map_err(|e| match e {
            ReadError::Outside => FileError::AccessDenied,
            ReadError::TooBig(n) => FileError::Other(Some(ReadError::TooBig(n).reason().into())),
            ReadError::Io(e) => FileError::from_io(e, &path),
        })
    }
}

/// The file id of a root-relative path.
pub(crate) fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| VirtualPath::new("main.typ").expect("static path is valid"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl World for TongbaoWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            return Ok(self.main_source.clone());
        }
        let mut cache = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(id)
            .or_insert_with(|| {
                let bytes = self.read(id)?;
                let text = String::from_utf8(bytes).map_err(|_| FileError::InvalidUtf8)?;
                Ok(Source::new(
                    id,
                    text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text),
                ))
            })
            .clone()
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.main_source.text().to_string()));
        }
        let mut cache = self.files.lock().unwrap_or_else(|e| e.into_inner());
        cache.entry(id).or_insert_with(|| self.read(id).map(Bytes::new)).clone()
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
