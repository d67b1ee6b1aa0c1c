//! The Typst `World`: the generated main source from memory, other files read only through the
//! project's read gate (inside the root, symlinks pointing outside refused), fonts from
//! [`FontSet`], a fixed date, the layout decisions as `sys.inputs`, no packages and no network.
//!
//! Files are kept in typst-kit's [`FileStore`] between compiles: after [`TongbaoWorld::update`] they
//! are read again, and a source whose text is unchanged stays the same value (a changed one is
//! edited in place), so comemo's caches keep serving everything that did not change, across the
//! attempts of one build and across the months of a batch.

use std::path::PathBuf;
use std::sync::Arc;

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue, Str};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::files::{FileLoader, FileStore};

use super::Decisions;
use super::fonts::FontSet;
use crate::project::{Project, ReadError};

/// A world for compiling one generated circular at a time. Keep it alive between compiles (watch
/// mode, batches, the attempts of one build) so unchanged files, fonts and layout are reused.
pub(crate) struct TongbaoWorld {
    library: LazyHash<Library>,
    decisions: Decisions,
    fonts: Arc<FontSet>,
    /// The main source's id: [`MAIN`], whatever month it claims, so that a source that differs
    /// from the last only in a few figures keeps its spans and Typst's caches serve everything
    /// else, month after month and from one batch worker's world to another's.
    main: FileId,
    /// The path the main source now claims (`out/2023-03/circular.typ`), for messages.
    main_path: PathBuf,
    main_source: Source,
    today: Datetime,
    files: FileStore<Gate>,
}

/// Reads the files Typst asks for through the project's gate (which hands out what the command
/// has read already, so each input is read once).
struct Gate {
    project: Project,
}

impl FileLoader for Gate {
    fn load(&self, id: FileId) -> FileResult<Bytes> {
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
        let bytes = self.project.read(&rel).map_err(|e| match e {
            ReadError::Outside => FileError::AccessDenied,
            ReadError::TooBig(n) => FileError::Other(Some(ReadError::TooBig(n).reason().into())),
            ReadError::Io(e) => FileError::from_io(e, &path),
        })?;
        // A template with a conflict's marks or invisible characters would print them.
        if rel.extension().is_some_and(|e| e == "typ")
            && let Some(refusal) = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|t| crate::load::hygiene::refusal(&rel, t))
        {
            return Err(FileError::Other(Some(refusal.into())));
        }
        Ok(Bytes::new(bytes))
    }
}

impl TongbaoWorld {
    /// A world for `project`. `main_path` is the root-relative path the generated source claims
    /// (e.g. `out/2023-03/circular.typ`), which its messages name.
    pub(crate) fn new(
        project: &Project,
        fonts: Arc<FontSet>,
        main_path: &str,
        text: String,
        today: Datetime,
    ) -> TongbaoWorld {
        let main = file_id(MAIN);
        let decisions = Decisions::default();
        TongbaoWorld {
            library: library(&decisions),
            decisions,
            fonts,
            main,
            main_path: PathBuf::from(main_path),
            main_source: Source::new(main, text),
            today,
            files: FileStore::new(Gate {
                project: project.clone(),
            }),
        }
    }

    /// The same world with its main source's id made from `path`: a source compiled as sources
    /// were before [`MAIN`], when a relative path in one resolved beside its month's folder.
    #[cfg(test)]
    pub(crate) fn with_main_id(mut self, path: &str) -> TongbaoWorld {
        self.main = file_id(path);
        self.main_source = Source::new(self.main, self.main_source.text().to_string());
        self
    }

    /// Replaces the main source (incrementally, so unchanged parts are not reparsed), which now
    /// claims `main_path` (another month's: its id stays, its messages name the new path; the
    /// generated sources reach every other file by an absolute path, so where the main source
    /// lies changes nothing else), marks the other files to be read again (through the project's
    /// gate, which keeps what the command has read) and forgets the decisions of the last layout.
    pub(crate) fn update(&mut self, main_path: &str, text: &str, today: Datetime) {
        self.main_path = PathBuf::from(main_path);
        self.main_source.replace(text);
        self.today = today;
        self.files.reset();
        self.decide(Decisions::default());
    }

    /// Lays the next compile out with `decisions`.
    pub(crate) fn decide(&mut self, decisions: Decisions) {
        if decisions != self.decisions {
            self.library = library(&decisions);
            self.decisions = decisions;
        }
    }

    /// Root-relative path of a file id, for messages.
    pub(crate) fn display_path(&self, id: FileId) -> PathBuf {
        if id == self.main {
            return self.main_path.clone();
        }
        PathBuf::from(id.vpath().get_without_slash())
    }
}

/// The standard library with the decisions as `sys.inputs`.
fn library(decisions: &Decisions) -> LazyHash<Library> {
    let inputs: Dict = decisions
        .inputs()
        .into_iter()
        .map(|(name, json)| (Str::from(name), Str::from(json).into_value()))
        .collect();
    LazyHash::new(Library::builder().with_inputs(inputs).build())
}

/// The path every world's main source has as its id, whatever month it claims: as deep as a
/// month's (`out/2023-03/circular.typ`), so that a path relative to it resolves as it would from
/// the month's (the generated sources name every file by an absolute path anyway). Typst's cached
/// layouts name the file their content came from by id: with one id, what one month laid out
/// serves the next, on any thread (`build --all`: a seventh less layout; BENCHMARKS.md).
const MAIN: &str = "out/month/circular.typ";

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
        self.files.source(id)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.main_source.text().to_string()));
        }
        self.files.file(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
