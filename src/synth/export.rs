//! Writes the synthetic city the way real exports look (the edge of synth):
//! Chinese headers; petitions as one CSV per year, the first year in GBK
//! with slashed dates and older headers, the second with a UTF-8 BOM;
//! findings as one `.xlsx` per year with a title row above the header;
//! cases, units, leaders and supervision activities as UTF-8 CSV; and
//! `ground_truth.csv`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use super::{Activity, Case, Finding, Petition, Sink, Truth, World};
use crate::model::{Dataset, Quarter};
use crate::store::csv::records;

/// Rows written per file.
#[derive(Debug, Default, Clone)]
pub struct ExportSummary {
    pub files: BTreeMap<PathBuf, u64>,
}

/// How a year's petition file is written.
#[derive(Debug, Clone, Copy)]
enum Flavour {
    /// GBK, `2022/3/5` dates, an older system's headers.
    Gbk,
    /// UTF-8 with a byte-order mark.
    Utf8Bom,
    Utf8,
}

struct YearFile {
    out: BufWriter<File>,
    flavour: Flavour,
    path: PathBuf,
    rows: u64,
}

/// A [`Sink`] that writes export files into one folder.
#[derive(Debug)]
pub struct ExportSink {
    dir: PathBuf,
    petitions: BTreeMap<i32, YearFileHandle>,
    findings: BTreeMap<i32, Vec<Finding>>,
    cases: Option<(BufWriter<File>, u64)>,
    first_year: Option<i32>,
    /// Petitions as one `.xlsx` per quarter instead of CSV per year.
    petitions_xlsx: bool,
    pub summary: ExportSummary,
}

struct YearFileHandle(YearFile);

impl std::fmt::Debug for YearFileHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.path.display())
    }
}

fn date(d: NaiveDate, flavour: Flavour) -> String {
    match flavour {
        Flavour::Gbk => format!("{}/{}/{}", d.year(), d.month(), d.day()),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map(f).unwrap_or_default()
}

/// One exported cell: Excel gets real dates, CSV the flavour's date text.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt_text<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> Cell {
        v.map_or(Cell::Empty, |x| Cell::Text(f(x)))
    }

    fn opt_date(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }

    fn csv(&self, flavour: Flavour) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Date(d) => date(*d, flavour),
            Cell::Empty => String::new(),
        }
    }
}

/// One CSV record as an export writes it.
fn csv_row<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let bytes = records([cells]).unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn csv_cells(cells: &[Cell], flavour: Flavour) -> String {
    let texts: Vec<String> = cells.iter().map(|c| c.csv(flavour)).collect();
    csv_row(texts.iter().map(String::as_str))
}

fn petition_cells(world: &World, p: &Petition) -> Vec<Cell> {
    vec![
        Cell::text(&p.id),
        Cell::Date(p.received),
        Cell::text(p.channel.label_zh()),
        Cell::text(p.class.label_zh()),
        Cell::text(&world.units[p.unit].id),
        Cell::opt_text(p.person, |i| world.leaders[i].person_id.clone()),
        Cell::text(p.role.label_zh()),
        Cell::opt_text(p.field, |f| f.label_zh().to_string()),
        Cell::opt_text(p.discipline, |d| d.label_zh().to_string()),
        Cell::text(yes_no(p.signed)),
        Cell::text(yes_no(p.repeat)),
        Cell::opt_text(p.reporter.clone(), |r| r),
        Cell::text(&p.summary),
        Cell::text(yes_no(p.clue)),
        Cell::opt_text(p.disposition, |d| d.label_zh().to_string()),
        Cell::opt_date(p.disposed),
    ]
}

fn finding_cells(world: &World, f: &Finding) -> Vec<Cell> {
    vec![
        Cell::text(&f.id),
        Cell::text(&f.round),
        Cell::text(f.kind.label_zh()),
        Cell::text(&world.units[f.unit].id),
        Cell::Date(f.reported),
        Cell::opt_text(f.field, |x| x.label_zh().to_string()),
        Cell::text(yes_no(f.involves_top_leader)),
        Cell::text(&f.description),
        Cell::opt_date(f.due),
        Cell::text(f.status.label_zh()),
        Cell::opt_date(f.rectified),
    ]
}

fn case_cells(world: &World, c: &Case) -> Vec<Cell> {
    vec![
        Cell::text(&c.id),
        Cell::text(&world.units[c.unit].id),
        Cell::opt_text(c.person, |i| world.leaders[i].person_id.clone()),
        Cell::text(c.role.label_zh()),
        Cell::text(c.rank.label_zh()),
        Cell::Date(c.filed),
        Cell::opt_date(c.closed),
        Cell::text(c.source.label_zh()),
        Cell::opt_text(c.field, |f| f.label_zh().to_string()),
        Cell::opt_text(c.discipline, |d| d.label_zh().to_string()),
        Cell::text(c.form.to_string()),
        Cell::opt_text(c.sanction, |s| s.label_zh().to_string()),
        Cell::opt_text(c.amount_yuan, |a| format!("{a:.2}")),
        // Only the last year's system records the source petition's id.
        Cell::opt_text(
            c.petition
                .as_ref()
                .filter(|_| c.filed.year() == world.last.year()),
            String::clone,
        ),
    ]
}

/// Writes one sheet with a merged title row above the header, real Excel
/// dates, and a fixed creation time (same input, same bytes).
fn write_xlsx(
    path: &Path,
    sheet: &str,
    title: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
) -> Result<()> {
    let xl = |e: rust_xlsxwriter::XlsxError| anyhow::anyhow!("{}: {e}", path.display());
    let mut wb = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xl)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let title_fmt = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head_fmt = Format::new()
        .set_bold()
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let mut ws = Worksheet::new();
    ws.set_name(sheet).map_err(xl)?;
    ws.merge_range(0, 0, 0, (header.len() - 1) as u16, title, &title_fmt)
        .map_err(xl)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &head_fmt)
            .map_err(xl)?;
    }
    for (i, cells) in rows.iter().enumerate() {
        let r = (i + 2) as u32;
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s).map_err(xl)?;
                }
                Cell::Date(d) => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(xl)?;
                    ws.write_datetime_with_format(r, c, &x, &date_fmt)
                        .map_err(xl)?;
                }
                Cell::Empty => {}
            }
        }
    }
    wb.push_worksheet(ws);
    wb.save(path).map_err(xl)
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(f))
}

/// Contract labels of a dataset, in contract order.
fn labels(d: Dataset) -> Vec<&'static str> {
    d.columns().iter().map(|c| c.zh).collect()
}

impl ExportSink {
    /// `petitions_xlsx`: write petitions as one workbook per quarter.
    pub fn new(dir: &Path, petitions_xlsx: bool) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(ExportSink {
            dir: dir.to_path_buf(),
            petitions: BTreeMap::new(),
            findings: BTreeMap::new(),
            cases: None,
            first_year: None,
            petitions_xlsx,
            summary: ExportSummary::default(),
        })
    }

    fn write_csv(&mut self, name: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
        let path = self.dir.join(name);
        let mut out = create(&path)?;
        let mut text = csv_row(header.iter().copied());
        for r in &rows {
            text.push_str(&csv_row(r.iter().map(String::as_str)));
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        self.summary.files.insert(path, rows.len() as u64);
        Ok(())
    }

    fn petition_file(&mut self, year: i32) -> Result<&mut YearFile> {
        let first = *self.first_year.get_or_insert(year);
        if !self.petitions.contains_key(&year) {
            let flavour = match year - first {
                0 => Flavour::Gbk,
                1 => Flavour::Utf8Bom,
                _ => Flavour::Utf8,
            };
            let path = self.dir.join(format!("petitions_{year}.csv"));
            let mut out = create(&path)?;
            let mut header = labels(Dataset::Petitions);
            if let Flavour::Gbk = flavour {
                for h in header.iter_mut() {
                    *h = match *h {
                        "受理日期" => "收件日期",
                        "反映内容摘要" => "反映内容",
                        other => other,
                    };
                }
            }
            let head = csv_row(header.iter().copied());
            match flavour {
                Flavour::Gbk => out.write_all(&encoding_rs::GBK.encode(&head).0)?,
                Flavour::Utf8Bom => {
                    out.write_all(b"\xEF\xBB\xBF")?;
                    out.write_all(head.as_bytes())?
                }
                Flavour::Utf8 => out.write_all(head.as_bytes())?,
            }
            self.petitions.insert(
                year,
                YearFileHandle(YearFile {
                    out,
                    flavour,
                    path,
                    rows: 0,
                }),
            );
        }
        self.petitions
            .get_mut(&year)
            .map(|h| &mut h.0)
            .context("petition file just opened")
    }

    fn write_petitions(&mut self, world: &World, q: Quarter, rows: &[Petition]) -> Result<()> {
        if self.petitions_xlsx {
            let path = self.dir.join(format!("petitions_{q}.xlsx"));
            let cells: Vec<Vec<Cell>> = rows.iter().map(|p| petition_cells(world, p)).collect();
            write_xlsx(
                &path,
                "信访举报",
                &format!("{}信访举报登记表", q.label_zh()),
                &labels(Dataset::Petitions),
                &cells,
            )?;
            self.summary.files.insert(path, rows.len() as u64);
            return Ok(());
        }
        let file = self.petition_file(q.year())?;
        let fl = file.flavour;
        let mut text = String::with_capacity(rows.len() * 256);
        for p in rows {
            text.push_str(&csv_cells(&petition_cells(world, p), fl));
        }
        match fl {
            Flavour::Gbk => file.out.write_all(&encoding_rs::GBK.encode(&text).0)?,
            _ => file.out.write_all(text.as_bytes())?,
        }
        file.rows += rows.len() as u64;
        Ok(())
    }

    fn write_cases(&mut self, world: &World, rows: &[Case]) -> Result<()> {
        if self.cases.is_none() {
            let path = self.dir.join("cases.csv");
            let mut out = create(&path)?;
            out.write_all(csv_row(labels(Dataset::Cases)).as_bytes())?;
            self.cases = Some((out, 0));
        }
        let Some((out, n)) = self.cases.as_mut() else {
            return Ok(());
        };
        let mut text = String::with_capacity(rows.len() * 160);
        for c in rows {
            text.push_str(&csv_cells(&case_cells(world, c), Flavour::Utf8));
        }
        out.write_all(text.as_bytes())?;
        *n += rows.len() as u64;
        Ok(())
    }

    fn write_findings(&mut self, world: &World, year: i32, rows: &[Finding]) -> Result<()> {
        let path = self.dir.join(format!("findings_{year}.xlsx"));
        let cells: Vec<Vec<Cell>> = rows.iter().map(|f| finding_cells(world, f)).collect();
        write_xlsx(
            &path,
            "巡察发现问题",
            &format!("{year}年巡视巡察发现问题整改台账"),
            &labels(Dataset::Findings),
            &cells,
        )?;
        self.summary.files.insert(path, rows.len() as u64);
        Ok(())
    }
}

impl Sink for ExportSink {
    type Error = anyhow::Error;

    fn reference(&mut self, world: &World) -> Result<()> {
        let units = world
            .units
            .iter()
            .map(|u| {
                vec![
                    u.id.clone(),
                    u.name.clone(),
                    opt(u.parent, |p| world.units[p].id.clone()),
                    u.level.label_zh().to_string(),
                    u.headcount.to_string(),
                    u.portfolio.unwrap_or_default().to_string(),
                ]
            })
            .collect();
        self.write_csv("units.csv", &labels(Dataset::Units), units)?;
        let leaders = world
            .leaders
            .iter()
            .map(|l| {
                vec![
                    l.person_id.clone(),
                    world.units[l.unit].id.clone(),
                    l.role.label_zh().to_string(),
                    l.rank.label_zh().to_string(),
                    date(l.start, Flavour::Utf8),
                    opt(l.end, |d| date(d, Flavour::Utf8)),
                ]
            })
            .collect();
        self.write_csv("leaders.csv", &labels(Dataset::Leaders), leaders)
    }

    fn quarter(
        &mut self,
        world: &World,
        q: Quarter,
        petitions: &[Petition],
        findings: &[Finding],
        cases: &[Case],
    ) -> Result<()> {
        self.write_petitions(world, q, petitions)?;
        self.write_cases(world, cases)?;
        self.findings
            .entry(q.year())
            .or_default()
            .extend_from_slice(findings);
        if (q.number() == 4 || q == world.last)
            && let Some(rows) = self.findings.remove(&q.year())
        {
            self.write_findings(world, q.year(), &rows)?;
        }
        Ok(())
    }

    fn supervision(&mut self, world: &World, activities: &[Activity]) -> Result<()> {
        let rows = activities
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    a.kind.label_zh().to_string(),
                    a.body.label_zh().to_string(),
                    date(a.held, Flavour::Utf8),
                    world.units[a.unit].id.clone(),
                    opt(a.person, |i| world.leaders[i].person_id.clone()),
                    a.note.clone(),
                ]
            })
            .collect();
        self.write_csv("supervision.csv", &labels(Dataset::Supervision), rows)
    }

    fn ledgers(&mut self, world: &World, l: &super::ledger::Ledgers) -> Result<()> {
        let id = |u: usize| world.units[u].id.clone();
        let day = |d: NaiveDate| date(d, Flavour::Utf8);
        let actions = l
            .actions
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    String::new(),
                    id(a.unit),
                    crate::model::FlagKind::Concentration.label_zh().to_string(),
                    a.flag_quarter.to_string(),
                    a.action.label_zh().to_string(),
                    day(a.sent),
                    opt(a.due, day),
                    opt(a.replied, day),
                    opt(a.verdict, |v| v.label_zh().to_string()),
                    a.note.clone(),
                ]
            })
            .collect();
        self.write_csv("dispositions.csv", &labels(Dataset::Dispositions), actions)?;
        let recs = l
            .recommendations
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    id(r.unit),
                    day(r.issued),
                    format!("{}领域廉政风险防控", r.field.label_zh()),
                    r.field.label_zh().to_string(),
                    r.copied_to.unwrap_or_default().to_string(),
                    day(r.due),
                    opt(r.feedback, day),
                    opt(r.visit, day),
                    yes_no(r.assessed).to_string(),
                ]
            })
            .collect();
        self.write_csv(
            "recommendations.csv",
            &labels(Dataset::Recommendations),
            recs,
        )
    }

    fn matters(&mut self, truth: &[(String, String)]) -> Result<()> {
        let rows = truth
            .iter()
            .map(|(p, m)| vec![p.clone(), m.clone()])
            .collect();
        self.write_csv(
            "ground_truth_matters.csv",
            &["petition_id", "matter_id"],
            rows,
        )
    }

    fn finish(&mut self, world: &World, truth: &[Truth]) -> Result<()> {
        for (_, YearFileHandle(mut f)) in std::mem::take(&mut self.petitions) {
            f.out.flush()?;
            self.summary.files.insert(f.path, f.rows);
        }
        if let Some((mut out, n)) = self.cases.take() {
            out.flush()?;
            self.summary.files.insert(self.dir.join("cases.csv"), n);
        }
        let name_of = |id: &str| {
            world
                .units
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .unwrap_or_default()
        };
        let rows = truth
            .iter()
            .map(|t| {
                vec![
                    t.kind.to_string(),
                    t.unit_id.clone(),
                    name_of(&t.unit_id),
                    t.person_id.clone(),
                    t.first_quarter.to_string(),
                    t.last_quarter.to_string(),
                    t.effect.clone(),
                    t.note.clone(),
                ]
            })
            .collect();
        self.write_csv(
            "ground_truth.csv",
            &[
                "kind",
                "unit_id",
                "unit_name",
                "person_id",
                "first_quarter",
                "last_quarter",
                "effect",
                "note",
            ],
            rows,
        )
    }
}
