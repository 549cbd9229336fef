//! The compose stage: every thematic report and every packet as Markdown,
//! HTML, PDF and a workbook of their tables, and the published tables,
//! as files in memory for publish to write.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;

use crate::aggregate::uq;
use crate::model::{ClueDays, Flag, KeyField, Language, Quarter};
use crate::report::inputs::Inputs;
use crate::report::packet::{Recipient, RecipientKind};
use crate::report::petitions::RepeatPetition;
use crate::report::wording::Wording;
use crate::report::{self, Report, Section};
use crate::report::{inputs, petitions, rotation};
use crate::store::frame::polars_ctx;

/// What the compose stage is set by.
#[derive(Debug, Clone)]
pub struct ComposeSettings {
    pub site_name: String,
    pub language: Language,
    /// The site's wording and template folder, if any.
    pub templates: Option<std::path::PathBuf>,
    pub packets: Vec<Recipient>,
    pub follow_up: Vec<inputs::FollowUpRule>,
    pub rotation: rotation::RotationRules,
    pub link: crate::aggregate::link::LinkRules,
    /// The concentration detector's settings the report states.
    pub concentration: petitions::Concentration,
    pub deadline_days: u32,
}

/// The publication's files, by path relative to its folder.
pub type Composed = BTreeMap<String, Vec<u8>>;

/// What the reports are built from.
#[derive(Debug)]
pub struct Sources<'a> {
    pub settings: &'a ComposeSettings,
    pub quarter: Quarter,
    pub quarters: &'a [Quarter],
    pub own: &'a DataFrame,
    pub flags: &'a [Flag],
    pub clue_days: &'a [ClueDays],
    /// Each chart's SVG by id.
    pub charts: &'a BTreeMap<String, String>,
    /// Each chart's numbers by id.
    pub chart_data: &'a BTreeMap<String, DataFrame>,
    /// The quarter's repeats as linked, against the export's mark.
    pub linking: &'a crate::aggregate::link::Agreement,
    /// Leaders in office at the quarter's end.
    pub tenures: &'a [crate::model::Tenure],
    /// The quarter's repeat petitions.
    pub repeats: &'a [RepeatPetition],
    /// Each unit's portfolio (分管领导).
    pub portfolios: &'a BTreeMap<String, String>,
    /// Each unit's petitions followed to cases, by petition quarter.
    pub chain: &'a [crate::aggregate::chain::ChainRow],
    /// The year's supervision coverage, when the store holds activities.
    pub supervision: Option<&'a crate::aggregate::supervision::SupervisionCheck>,
    /// Units the concentration detector did not test, by reason code.
    pub not_tested: &'a BTreeMap<&'static str, usize>,
    /// Each flag's standing against the flags published before.
    pub history: &'a crate::detect::continuity::FlagHistory,
    /// What became of earlier flags, and the overdue ledger records.
    pub follow_up: &'a crate::detect::follow::FollowUp,
    /// The recommendations ledger (empty without one).
    pub recommendations: &'a [crate::model::ledger::Recommendation],
    /// The publication holds `tables/flag_records.html`: flag ids link there.
    pub has_records: bool,
}

/// Every report, for the whole city or (with `scope`) for some units.
fn reports(
    s: &Sources<'_>,
    w: &Wording,
    own: &DataFrame,
    flags: &[Flag],
    scope: &str,
    tenures: &[crate::model::Tenure],
) -> Result<Vec<Report>> {
    let p = s.settings;
    let in_scope = unit_ids(own);
    let chain: Vec<crate::aggregate::chain::ChainRow> = s
        .chain
        .iter()
        .filter(|r| in_scope.contains(r.unit_id.as_str()))
        .cloned()
        .collect();
    let inputs = Inputs {
        quarter: s.quarter,
        quarters: s.quarters,
        site: &p.site_name,
        wording: w,
        own,
        flags,
        clue_days: s.clue_days,
        deadline_days: p.deadline_days,
        follow_up: &p.follow_up,
        chart_dir: "../charts",
        scope,
        tenures,
        rotation: p.rotation,
        chain: &chain,
        not_tested: s.not_tested,
        history: s.history,
        followed: s.follow_up,
        portfolios: s.portfolios,
    };
    let repeats: Vec<RepeatPetition> = s
        .repeats
        .iter()
        .filter(|r| scope.is_empty() || in_scope.contains(r.unit_id.as_str()))
        .cloned()
        .collect();
    let mut petition_report = polars_ctx(
        petitions::build(
            &inputs,
            &repeats,
            &p.concentration,
            scope.is_empty().then_some((s.linking, p.link)),
        ),
        "petition report",
    )?;
    petition_report
        .sections
        .push(report::dispositions::section(&inputs));
    let mut out = vec![petition_report];
    out.push(polars_ctx(
        report::clues::build(&inputs),
        "top-leader clue report",
    )?);
    for field in KeyField::KEY {
        out.push(polars_ctx(
            report::key_field::build(&inputs, *field),
            "key-field report",
        )?);
    }
    out.push(polars_ctx(
        report::problem_units::build(&inputs),
        "problem-unit report",
    )?);
    out.push(polars_ctx(
        report::rectification::build(&inputs),
        "rectification report",
    )?);
    out.push(rotation::build(&inputs));
    out.extend(report::recommendations::build(&inputs, s.recommendations));
    if let Some(check) = s.supervision.filter(|_| scope.is_empty()) {
        // The minimums are the supervising bodies' own: reported citywide.
        out.push(report::supervision::build(&inputs, check));
    }
    if !scope.is_empty() {
        // Citywide charts do not describe a portfolio: keep unit profiles only.
        for r in &mut out {
            for sec in &mut r.sections {
                keep_profiles(sec);
            }
        }
    }
    Ok(out)
}

/// The unit ids of a unit × quarter table.
pub(crate) fn unit_ids(own: &DataFrame) -> HashSet<String> {
    own.column(uq::UNIT_ID)
        .ok()
        .and_then(|c| c.str().ok().cloned())
        .map(|c| c.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default()
}

fn keep_profiles(s: &mut Section) {
    if s.chart
        .as_ref()
        .is_some_and(|c| !c.path.contains("/profile_"))
    {
        s.chart = None;
    }
    for sub in &mut s.subsections {
        keep_profiles(sub);
    }
}

/// The SVG of a chart path `../charts/<id>.png`.
fn chart_svg<'a>(charts: &'a BTreeMap<String, String>) -> impl Fn(&str) -> Option<Vec<u8>> + 'a {
    move |path: &str| {
        let id = path.rsplit('/').next()?.strip_suffix(".png")?;
        charts.get(id).map(|s| s.as_bytes().to_vec())
    }
}

/// A report's tables and the numbers of its charts as one workbook,
/// numbers as numbers (none when it has neither).
fn workbook(r: &Report, chart_data: &BTreeMap<String, DataFrame>) -> Result<Option<Vec<u8>>> {
    let mut frames: Vec<(String, DataFrame)> = Vec::new();
    let mut used = HashSet::new();
    for (k, t) in r.tables().into_iter().enumerate() {
        let mut name: String = t
            .title
            .chars()
            .filter(|c| !"[]:*?/\\'".contains(*c))
            .take(28)
            .collect();
        if name.is_empty() || !used.insert(name.clone()) {
            name = format!("{}{}", name.chars().take(25).collect::<String>(), k + 1);
            used.insert(name.clone());
        }
        let mut columns = Vec::new();
        let mut seen = HashSet::new();
        for (c, h) in t.headers.iter().enumerate() {
            let cells: Vec<&str> = t
                .rows
                .iter()
                .map(|r| r.get(c).map_or("", String::as_str))
                .collect();
            let header = if seen.insert(h.clone()) {
                h.clone()
            } else {
                format!("{h} ({})", c + 1)
            };
            let numbers: Option<Vec<f64>> = cells
                .iter()
                .map(|v| v.replace(',', "").parse::<f64>().ok())
                .collect();
            columns.push(match numbers {
                Some(v) if !v.is_empty() => Column::new(header.into(), v),
                _ => Column::new(header.into(), cells),
            });
        }
        frames.push((
            name,
            polars_ctx(DataFrame::new(t.rows.len(), columns), "report table")?,
        ));
    }
    for (k, c) in r.charts().into_iter().enumerate() {
        let id = c
            .path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".png"));
        if let Some(df) = id.and_then(|id| chart_data.get(id)) {
            let name: String = format!("图{}{}", k + 1, c.caption)
                .chars()
                .filter(|c| !"[]:*?/\\'".contains(*c))
                .take(28)
                .collect();
            if used.insert(name.clone()) {
                frames.push((name, numeric(df)?));
            }
        }
    }
    if frames.is_empty() {
        return Ok(None);
    }
    let sheets: Vec<(&str, &DataFrame)> = frames.iter().map(|(n, d)| (n.as_str(), d)).collect();
    Ok(Some(super::xlsx::bytes(&r.id, &sheets)?))
}

/// A chart's numbers with each column that parses as numbers as numbers.
fn numeric(df: &DataFrame) -> Result<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            let text = polars_ctx(c.cast(&DataType::String), "chart data")?;
            let cells: Vec<Option<&str>> =
                polars_ctx(text.str().map(|s| s.iter().collect()), "chart data")?;
            let numbers: Option<Vec<Option<f64>>> = cells
                .iter()
                .map(|v| match v {
                    None | Some("") => Some(None),
                    Some(v) => v.parse::<f64>().ok().map(Some),
                })
                .collect();
            Ok(match numbers {
                Some(v) if v.iter().any(Option::is_some) => Column::new(c.name().clone(), v),
                _ => text.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    polars_ctx(DataFrame::new(df.height(), columns), "chart data")
}

fn template(p: &ComposeSettings) -> Result<String> {
    match p
        .templates
        .as_ref()
        .map(|d| d.join("report.typ"))
        .filter(|f| f.is_file())
    {
        Some(f) => std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display())),
        None => Ok(report::pdf::TEMPLATE.to_string()),
    }
}

/// A chart's SVG by its path in a report.
type ChartFiles<'a> = &'a (dyn Fn(&str) -> Option<Vec<u8>> + Sync);

/// What every report's files are written with.
struct Formats<'a> {
    lang: &'a str,
    typst: &'a str,
    /// The charts as drawn, for the PDFs.
    charts: ChartFiles<'a>,
    /// The charts with their text as outlines, for the HTML pages.
    html_charts: ChartFiles<'a>,
}

impl Formats<'_> {
    /// `reports` as one HTML page; the quarter's flag ids link to the
    /// records page at `records_page`, relative to this one.
    fn html(
        &self,
        s: &Sources<'_>,
        title: &str,
        reports: &[&Report],
        records_page: &str,
    ) -> Vec<u8> {
        report::html::write(
            title,
            self.lang,
            reports,
            &report::html::Links {
                charts: self.html_charts,
                records: s.has_records.then(|| (records_page, s.quarter.to_string())),
            },
        )
        .into_bytes()
    }
}

/// The thematic reports and the packets, every format.
pub fn compose_reports(s: &Sources<'_>) -> Result<Composed> {
    let p = s.settings;
    let w = Wording::load(p.language, p.templates.as_deref())?;
    let typst = template(p)?;
    let charts = chart_svg(s.charts);
    // The HTML pages show the charts with their text as outlines.
    let outlined: BTreeMap<String, String> = s
        .charts
        .par_iter()
        .map(|(id, svg)| Ok((id.clone(), crate::render::draw::outlined(id, svg)?)))
        .collect::<Result<_, crate::render::draw::DrawError>>()?;
    let html_charts = chart_svg(&outlined);
    let formats = Formats {
        lang: if p.language == Language::Zh {
            "zh-CN"
        } else {
            "en"
        },
        typst: &typst,
        charts: &charts,
        html_charts: &html_charts,
    };
    let city = reports(s, &w, s.own, s.flags, "", s.tenures)?;
    let q = if p.language == Language::Zh {
        s.quarter.label_zh()
    } else {
        s.quarter.to_string()
    };
    let packets: Vec<(&Recipient, Vec<Part>)> = p
        .packets
        .par_iter()
        .map(|r| Ok((r, packet_reports(s, &w, r, &city, &q)?)))
        .collect::<Result<_>>()?;
    // Every report is laid out once, on its own, and the reports side by
    // side: a packet's PDF binds the layouts of its reports.
    let mut every: Vec<&Report> = city.iter().collect();
    let packets: Vec<(&Recipient, Vec<usize>)> = packets
        .iter()
        .map(|(r, parts)| {
            let at = parts
                .iter()
                .map(|part| match part {
                    Part::City(k) => *k,
                    Part::Own(report) => {
                        every.push(report);
                        every.len() - 1
                    }
                })
                .collect();
            (*r, at)
        })
        .collect();
    let (layouts, pages) = rayon::join(
        || {
            every
                .par_iter()
                .enumerate()
                .map(|(k, r)| report::pdf::layout(&[r], formats.typst, formats.charts, k))
                .collect::<Result<Vec<_>, _>>()
        },
        || {
            rayon::join(
                || thematic_pages(s, &city, &formats),
                || packet_pages(s, &every, &packets, &formats),
            )
        },
    );
    let mut files = pages.0?;
    files.extend(pages.1);
    files.extend(pdf_files(&city, &packets, &layouts?)?);
    // The layout engine's memo of every report laid out (about 0.4 GB at
    // the national year) is of no use once the PDFs are made.
    typst::comemo::evict(0);
    Ok(files)
}

/// The PDFs: each thematic report's layout, and each packet's layouts
/// bound (`packets` lists each one's reports by their place in `layouts`).
fn pdf_files(
    city: &[Report],
    packets: &[(&Recipient, Vec<usize>)],
    layouts: &[report::pdf::Layout],
) -> Result<Composed> {
    let pdfs: Vec<(String, Vec<usize>)> = city
        .iter()
        .enumerate()
        .map(|(k, r)| (format!("thematic/{}.pdf", r.id), vec![k]))
        .chain(
            packets
                .iter()
                .map(|(r, at)| (format!("packets/{}/packet.pdf", r.id), at.clone())),
        )
        .collect();
    pdfs.into_par_iter()
        .map(|(path, at)| {
            let bound: Vec<&report::pdf::Layout> = at.iter().map(|k| &layouts[*k]).collect();
            Ok((path, report::pdf::bind(&bound)?))
        })
        .collect()
}

/// Each thematic report on its own in every format but PDF.
fn thematic_pages(s: &Sources<'_>, city: &[Report], f: &Formats<'_>) -> Result<Composed> {
    let thematic: Vec<Composed> = city
        .par_iter()
        .map(|r| -> Result<Composed> {
            let mut md = Vec::new();
            report::markdown::write(r, &mut md)?;
            let mut files = Composed::new();
            files.insert(format!("thematic/{}.md", r.id), md);
            files.insert(
                format!("thematic/{}.html", r.id),
                f.html(s, &r.title, &[r], report::flag_records::FROM_THEMATIC),
            );
            if let Some(xlsx) = workbook(r, s.chart_data)? {
                files.insert(format!("thematic/{}.xlsx", r.id), xlsx);
            }
            Ok(files)
        })
        .collect::<Result<_>>()?;
    Ok(thematic.into_iter().flatten().collect())
}

/// Each recipient's packet as an HTML page: `packets` lists each one's
/// reports by their place in `every`.
fn packet_pages(
    s: &Sources<'_>,
    every: &[&Report],
    packets: &[(&Recipient, Vec<usize>)],
    f: &Formats<'_>,
) -> Composed {
    packets
        .par_iter()
        .map(|(recipient, at)| {
            let refs: Vec<&Report> = at.iter().map(|k| every[*k]).collect();
            let title = refs.first().map_or(String::new(), |r| r.title.clone());
            (
                format!("packets/{}/index.html", recipient.id),
                f.html(s, &title, &refs, report::flag_records::FROM_PACKET),
            )
        })
        .collect()
}

/// One report of a packet: the city's (by its place) or the packet's own.
enum Part {
    City(usize),
    Own(Report),
}

fn packet_reports(
    s: &Sources<'_>,
    w: &Wording,
    r: &Recipient,
    city: &[Report],
    q: &str,
) -> Result<Vec<Part>> {
    Ok(match &r.kind {
        RecipientKind::CommitteeHead => {
            let overview = report::packet::overview(
                w,
                q,
                &r.name,
                city,
                report::dispositions::yield_table(w, s.follow_up),
            );
            std::iter::once(Part::Own(overview))
                .chain((0..city.len()).map(Part::City))
                .collect()
        }
        RecipientKind::Organisation => city
            .iter()
            .enumerate()
            .filter(|(_, x)| ["problem_units", "rotation", "supervision"].contains(&x.id.as_str()))
            .map(|(k, _)| Part::City(k))
            .collect(),
        RecipientKind::Portfolio(name) => {
            let units: Vec<String> = s
                .portfolios
                .iter()
                .filter(|(_, p)| *p == name)
                .map(|(u, _)| u.clone())
                .collect();
            let keep: HashSet<&str> = units.iter().map(String::as_str).collect();
            let own = polars_ctx(
                s.own
                    .clone()
                    .lazy()
                    .filter(col(uq::UNIT_ID).is_in(
                        lit(Series::new("u".into(), units.clone())).implode(false),
                        false,
                    ))
                    .collect(),
                "portfolio units",
            )?;
            let flags: Vec<Flag> = s
                .flags
                .iter()
                .filter(|f| keep.contains(f.unit_id.as_str()))
                .cloned()
                .collect();
            let scope = w.t("packet.scope_portfolio", &[("portfolio", name)]);
            let tenures: Vec<crate::model::Tenure> = s
                .tenures
                .iter()
                .filter(|t| keep.contains(t.unit_id.as_str()))
                .cloned()
                .collect();
            let mut list = reports(s, w, &own, &flags, &scope, &tenures)?;
            list.insert(0, report::packet::overview(w, q, &r.name, &list, None));
            list.into_iter().map(Part::Own).collect()
        }
    })
}
