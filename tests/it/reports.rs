//! Reports and packets: hostile text stays text in every format, and on the
//! sample data every planted signal the detectors find is in the right
//! report with its figures, in HTML and in the PDF's extracted text.

use std::path::Path;

use yanpan::model::Language;
use yanpan::report::model::{ChartRef, Figure, Report, Section, Table};
use yanpan::report::wording::Wording;

/// Text a hostile export might carry: HTML, Markdown links, spreadsheet
/// formulas and typst markup.
const HOSTILE: &str = "<script>alert(1)</script> [点我](javascript:alert(1)) =HYPERLINK(\"http://evil\") #set text(fill: red) *粗体* $x$ @ref";

pub(crate) use crate::pdf_text::{pdf_bookmarks, pdf_text};

fn hostile_report() -> Report {
    Report {
        zh: true,
        id: "hostile".into(),
        title: format!("标题{HOSTILE}"),
        issuer: "京华市纪委监委".into(),
        dateline: "数据截至2024年12月31日".into(),
        summary: vec![format!("摘要{HOSTILE}")],
        figures: vec![Figure {
            label: HOSTILE.into(),
            value: "12".into(),
        }],
        sections: vec![Section {
            heading: format!("单位{HOSTILE}"),
            paragraphs: vec![HOSTILE.into()],
            chart: Some(ChartRef {
                path: "../charts/none.png".into(),
                caption: HOSTILE.into(),
            }),
            table: Some(Table {
                title: "t".into(),
                headers: vec!["单位".into(), "摘要".into()],
                rows: vec![vec!["东湖区".into(), HOSTILE.into()]],
            }),
            subsections: vec![Section {
                heading: HOSTILE.into(),
                ..Default::default()
            }],
        }],
    }
}

#[test]
fn hostile_text_stays_text_in_markdown_html_and_pdf() {
    let r = hostile_report();
    let none = |_: &str| None;
    let mut md = Vec::new();
    yanpan::report::markdown::write(&r, &mut md).expect("markdown");
    let md = String::from_utf8(md).expect("utf-8");
    assert!(
        // The link is escaped: "[点我](" never appears without backslashes.
        !md.contains("<script>") && !md.contains("[点我](") && md.contains(r"\[点我\](javascript"),
        "{md}"
    );
    let html = yanpan::report::html::write(
        &r.title,
        "zh-CN",
        &[&r],
        &yanpan::report::html::Links {
            charts: &none,
            records: None,
        },
    );
    assert!(!html.contains("<script"), "no live script tag");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Content-Security-Policy"));
    let pdf = yanpan::report::pdf::write(&[&r], yanpan::report::pdf::TEMPLATE, &none).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    // typst markup and the rest come out as the characters they are.
    for piece in [
        "<script>alert(1)</script>",
        "#settext(fill:red)",
        "=HYPERLINK(\"http://evil\")",
        "*粗体*",
        "$x$",
        "@ref",
    ] {
        assert!(
            text.contains(piece),
            "{piece} missing from the PDF text: {text}"
        );
    }
}

#[test]
fn every_wording_key_a_report_uses_exists_in_both_languages() {
    // A missing key shows as [key]; build the hostile report's packet
    // overview in both languages and look for one.
    for lang in [Language::Zh, Language::En] {
        let w = Wording::builtin(lang);
        let o = yanpan::report::packet::overview(
            &w,
            "2024Q4",
            "委主要负责同志",
            &[hostile_report()],
            None,
        );
        assert!(
            !o.title.contains('[') && !o.summary[0].contains("[packet."),
            "{o:?}"
        );
    }
}

/// Runs 2024Q4 of `pipeline`; it must succeed.
fn run_2024q4(pipeline: &Path) {
    let out = crate::run_2024q4(pipeline, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sample data with one more repeat petition whose summary is hostile.
fn sample_with_hostile_petition(dir: &Path) -> std::path::PathBuf {
    let pipeline = crate::copied_sample_pipeline(dir);
    let quoted = HOSTILE.replace('"', "\"\"");
    crate::append_row(
        dir,
        "petitions_2024.csv",
        &format!(
            "XF2024HOSTILE001,2024-10-01,来信,检举控告,B001,,其他,工程建设,廉洁纪律,否,是,,\"{quoted}\",否,,"
        ),
    );
    pipeline
}

#[test]
fn reports_and_packets_carry_the_planted_signals_and_keep_hostile_text_inert() {
    let dir = crate::TempDir::new();
    let pipeline = sample_with_hostile_petition(dir.path());
    run_2024q4(&pipeline);
    let publication = dir.path().join("reports/2024Q4");
    let read =
        |rel: &str| std::fs::read(publication.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let html = |id: &str| String::from_utf8(read(&format!("thematic/{id}.html"))).expect("utf-8");
    let ids = [
        "petitions",
        "top_leader_clues",
        "field_approval",
        "field_construction",
        "field_resources",
        "field_finance",
        "field_land",
        "field_enforcement",
        "problem_units",
        "rectification",
        "rotation",
        "supervision",
    ];
    for id in ids {
        for ext in ["md", "html", "pdf", "xlsx"] {
            let bytes = read(&format!("thematic/{id}.{ext}"));
            assert!(bytes.len() > 500, "{id}.{ext} is too small");
        }
    }
    // The headline figure of the petition report, from the table, in the PDF.
    let flags = String::from_utf8(read("tables/flags.csv")).expect("utf-8");
    let pdf = pdf_text(&read("thematic/petitions.pdf"));
    let q4 = crate::end_to_end::raw_q4_petitions() + 1;
    assert!(pdf.contains(&format!("全市共受理信访举报{q4}件")), "{pdf}");
    // Planted: 4 overdue top-leader clues at 市农业农村局 (B017).
    let clues = html("top_leader_clues");
    assert!(
        clues.contains("<td>市农业农村局</td><td>委办局</td><td>4</td>"),
        "{clues}"
    );
    assert!(pdf_text(&read("thematic/top_leader_clues.pdf")).contains("市农业农村局"));
    // Planted: 龙潭区's construction share; the land field rising everywhere.
    assert!(flags.contains("key_field,D15,龙潭区"));
    assert!(html("field_construction").contains("龙潭区"));
    assert!(
        html("field_land").contains("土地规划领域："),
        "the common problem's sentence"
    );
    // Planted: the leader of 市城市更新局 (B038) named far above peers.
    assert!(html("petitions").contains("市城市更新局"));
    // Planted: 市国有资本运营公司's overdue rectification.
    assert!(html("rectification").contains("市国有资本运营公司"));
    // Problem units, with the measures the pipeline's rules propose.
    let units = html("problem_units");
    assert!(
        units.contains("市农业农村局") && units.contains("谈话提醒"),
        "{units}"
    );
    // The hostile summary is listed among the repeat petitions, as text.
    let petitions = html("petitions");
    // Repeat linking: every petition of the quarter has a matter, and the
    // report says how the computed repeats compare with the export's mark.
    let matters =
        yanpan::store::read_parquet(&publication.join("tables/matters.parquet")).expect("matters");
    assert_eq!(matters.height(), q4);
    assert!(
        petitions.contains("归并为同一事项") && petitions.contains("两者一致"),
        "{petitions}"
    );
    assert!(petitions.contains("XF2024HOSTILE001") && !petitions.contains("<script"));
    assert!(pdf.contains("#settext(fill:red)") && pdf.contains("<script>alert(1)</script>"));
    let md = String::from_utf8(read("thematic/petitions.md")).expect("utf-8");
    assert!(!md.contains("<script>") && !md.contains("[点我]("));
    // The workbook, read back with calamine: the summary is a text cell,
    // and no cell of any sheet is a formula.
    {
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let mut book: Xlsx<_> =
            open_workbook(publication.join("thematic/petitions.xlsx")).expect("xlsx opens");
        let mut found = false;
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).expect("sheet");
            found |= range.used_cells().any(|(_, _, c)| {
                matches!(c, Data::String(t) if t.contains("=HYPERLINK(\"http://evil\")"))
            });
            let formulas = book.worksheet_formula(&name).expect("formulas");
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name}: no cell is a formula"
            );
        }
        assert!(found, "the hostile summary is kept as text");
    }
    // Packets: one folder per recipient, each with its PDF and page.
    for id in [
        "committee-head",
        "portfolio-deputy-secretary",
        "portfolio-executive-vice-mayor",
        "organisation-department",
    ] {
        let pdf = read(&format!("packets/{id}/packet.pdf"));
        assert!(pdf.starts_with(b"%PDF-"), "{id}");
        assert!(
            read(&format!("packets/{id}/index.html")).len() > 1000,
            "{id}"
        );
    }
    // The committee head's packet binds each report as it is on its own
    // (its pages, numbered from 1), after the overview, with every
    // report's bookmarks.
    let packet = read("packets/committee-head/packet.pdf");
    let (packet_text, packet_marks) = (pdf_text(&packet), pdf_bookmarks(&packet));
    let (mut text_at, mut mark_at) = (0, 0);
    for id in ids {
        let pdf = read(&format!("thematic/{id}.pdf"));
        let text = pdf_text(&pdf);
        assert!(text.contains("—1—"), "{id} numbers its pages");
        text_at += packet_text[text_at..]
            .find(&text)
            .unwrap_or_else(|| panic!("{id}'s pages follow in the packet"))
            + text.len();
        let marks = pdf_bookmarks(&pdf);
        assert!(!marks.is_empty(), "{id} has bookmarks");
        mark_at += packet_marks[mark_at..]
            .windows(marks.len())
            .position(|w| w == marks.as_slice())
            .unwrap_or_else(|| panic!("{id}'s bookmarks follow in the packet"))
            + marks.len();
    }
    let overview = packet_text
        .find(&pdf_text(&read("thematic/petitions.pdf")))
        .map(|first| &packet_text[..first]);
    assert!(
        overview.is_some_and(|o| o.contains("分析研判简报（总览）")),
        "the overview comes first"
    );
    let head = String::from_utf8(read("packets/committee-head/index.html")).expect("utf-8");
    assert!(
        head.contains("分析研判简报（总览）") && head.contains("问题突出单位政治生态分析研判报告")
    );
    let org = String::from_utf8(read("packets/organisation-department/index.html")).expect("utf-8");
    assert!(
        org.contains("领导干部交流轮岗提示"),
        "the organisation department gets the rotation watch"
    );
    assert!(org.contains("问题突出单位") && !org.contains("信访举报分析研判报告"));
    // 市农业农村局 is in the 统战部部长's portfolio, not the deputy secretary's.
    let deputy =
        String::from_utf8(read("packets/portfolio-deputy-secretary/index.html")).expect("utf-8");
    assert!(deputy.contains("市委副书记分管范围") && !deputy.contains("市农业农村局"));
    assert!(deputy.contains("东湖区"));
}

#[test]
fn english_reports_are_complete_and_numbered_in_english() {
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    assert!(text.contains("language = \"zh\""));
    std::fs::write(
        &pipeline,
        text.replace("language = \"zh\"", "language = \"en\""),
    )
    .expect("write");
    run_2024q4(&pipeline);
    let thematic = dir.path().join("reports/2024Q4/thematic");
    let mut seen = 0;
    for e in std::fs::read_dir(&thematic).expect("thematic") {
        let path = e.expect("entry").path();
        if path.extension().and_then(|x| x.to_str()) != Some("md") {
            continue;
        }
        seen += 1;
        let md = std::fs::read_to_string(&path).expect("md");
        for line in md.lines().filter(|l| l.starts_with('#')) {
            // Headings: English words and numbers; Chinese only in names
            // taken from the data (units), never in the numbering.
            assert!(
                !line.contains('、') && !line.contains('（'),
                "{}: {line}",
                path.display()
            );
        }
        let missing = md.match_indices('[').any(|(k, _)| {
            md[k + 1..]
                .split(']')
                .next()
                .is_some_and(|key| key.contains('.') && !key.contains(' ') && key.is_ascii())
        });
        assert!(!missing, "{}: a wording key is missing", path.display());
    }
    assert_eq!(seen, 13);
    let petitions = std::fs::read_to_string(thematic.join("petitions.md")).expect("md");
    assert!(
        petitions.starts_with("# Petition analysis, 2024Q4"),
        "{petitions}"
    );
    assert!(petitions.contains("## 2. Composition") && petitions.contains("### (a) By channel"));
}
