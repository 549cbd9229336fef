//! The PDF writer: the report model as JSON, laid out by a typst template
//! (`assets/templates/report.typ`, or the site's own copy) for A4 print in
//! the manner of official documents. Untrusted text reaches typst only as
//! JSON strings, which the template places as text: it is never read as
//! typst markup. Fonts: the embedded CJK font first, then the system's.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::model::Document as _;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;

use super::model::Report;

/// The template shipped with yanpan.
pub const TEMPLATE: &str = include_str!("../../assets/templates/report.typ");

/// A PDF could not be laid out.
#[derive(Debug, thiserror::Error)]
#[error("PDF of {report}: {message}")]
pub struct PdfError {
    pub report: String,
    pub message: String,
}

fn fonts() -> &'static FontStore {
    static FONTS: OnceLock<FontStore> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut store = FontStore::new();
        for data in [
            crate::render::fonts::regular(),
            crate::render::fonts::bold(),
        ] {
            for font in Font::iter(Bytes::new(data)) {
                let info = font.info().clone();
                store.push((font, info));
            }
        }
        store.extend(typst_kit::fonts::system());
        store
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

fn file_id(path: &str) -> FileResult<FileId> {
    let vpath = VirtualPath::new(path).map_err(|_| FileError::NotFound(path.into()))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// The document and its files, all in memory.
struct Documents {
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl World for Documents {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }
    fn book(&self) -> &LazyHash<FontBook> {
        fonts().book()
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(format!("{id:?}").into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(format!("{id:?}").into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        fonts().font(index)
    }
    fn today(&self, _: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Reports laid out in pages, to be written alone or bound with others.
#[derive(Debug)]
pub struct Layout {
    /// The first report's id, for errors.
    name: String,
    document: typst_layout::PagedDocument,
}

/// Lays out `reports` (one after another, each from a new page) with
/// `template` and writes them as one PDF; `charts` gives each chart path
/// of the reports its SVG.
pub fn write(
    reports: &[&Report],
    template: &str,
    charts: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, PdfError> {
    bind(&[&layout(reports, template, charts, 0)?])
}

/// Layouts bound one after another as one PDF, with the first one's title:
/// each keeps its pages as laid out (and so its own page numbers). The
/// PDF's bookmarks are the headings of them all.
pub fn bind(layouts: &[&Layout]) -> Result<Vec<u8>, PdfError> {
    let Some(first) = layouts.first() else {
        return Err(PdfError {
            report: "empty".into(),
            message: "no pages".into(),
        });
    };
    let clock = std::time::Instant::now();
    let bound;
    let document = if let [one] = layouts {
        &one.document
    } else {
        let pages = layouts
            .iter()
            .flat_map(|l| l.document.pages().iter().cloned())
            .collect();
        bound = typst_layout::PagedDocument::new(pages, first.document.info().clone());
        &bound
    };
    let pdf =
        typst_pdf::pdf(document, &typst_pdf::PdfOptions::default()).map_err(|errors| PdfError {
            report: first.name.clone(),
            message: messages(&errors),
        })?;
    log::debug!(
        "PDF of {}: {} pages written in {:.2} s",
        first.name,
        document.pages().len(),
        clock.elapsed().as_secs_f64()
    );
    Ok(pdf)
}

fn messages(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lays out `reports` (one after another, each from a new page) with
/// `template`; `charts` gives each chart path of the reports its SVG.
/// Layouts to be bound together are laid out at different `place`s: an
/// element's location (which the PDF's bookmarks are found by) comes from
/// its place in the template's file, which is named after `place`.
pub fn layout(
    reports: &[&Report],
    template: &str,
    charts: &dyn Fn(&str) -> Option<Vec<u8>>,
    place: usize,
) -> Result<Layout, PdfError> {
    let name = reports
        .first()
        .map_or("empty", |r| r.id.as_str())
        .to_string();
    let fail = |message: String| PdfError {
        report: name.clone(),
        message,
    };
    let mut files = HashMap::new();
    // Chart paths become virtual files /charts/0.svg, … in the JSON.
    let mut owned: Vec<Report> = reports.iter().map(|r| (*r).clone()).collect();
    let mut n = 0;
    // A chart without its SVG is left out rather than failing the PDF.
    for r in &mut owned {
        for_each_chart(r, &mut |chart: &mut Option<super::model::ChartRef>| {
            let Some(c) = chart.as_mut() else {
                return;
            };
            let virtual_path = format!("/charts/{n}.svg");
            n += 1;
            match (charts(&c.path), file_id(&virtual_path)) {
                (Some(svg), Ok(id)) => {
                    files.insert(id, Bytes::new(svg));
                    c.path = virtual_path;
                }
                _ => *chart = None,
            }
        });
    }
    let json = serde_json::to_vec(&owned).map_err(|e| fail(e.to_string()))?;
    files.insert(
        file_id("/data.json").map_err(|e| fail(format!("{e:?}")))?,
        Bytes::new(json),
    );
    let main = Source::new(
        file_id(&format!("/main{place}.typ")).map_err(|e| fail(format!("{e:?}")))?,
        template.to_string(),
    );
    let world = Documents { main, files };
    let clock = std::time::Instant::now();
    let document = typst::compile::<typst_layout::PagedDocument>(&world)
        .output
        .map_err(|errors| fail(messages(&errors)))?;
    log::debug!(
        "PDF of {name}: {} pages laid out in {:.2} s",
        document.pages().len(),
        clock.elapsed().as_secs_f64()
    );
    Ok(Layout { name, document })
}

type ChartSlot = Option<super::model::ChartRef>;

fn for_each_chart(r: &mut Report, f: &mut dyn FnMut(&mut ChartSlot)) {
    fn walk(s: &mut super::model::Section, f: &mut dyn FnMut(&mut ChartSlot)) {
        f(&mut s.chart);
        for sub in &mut s.subsections {
            walk(sub, f);
        }
    }
    for s in &mut r.sections {
        walk(s, f);
    }
}
