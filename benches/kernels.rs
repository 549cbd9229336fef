//! The hot kernels, timed on generated data (`cargo bench --bench kernels`):
//! reading and typing one petition export (decode, CSV, header mapping,
//! coercion, pseudonymisation) and the concentration detector over a
//! simulated city. Prints the median of five runs of each.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use yanpan::detect::concentration::ConcentrationSettings;
use yanpan::ingest::pseudonym::Pseudonymiser;
use yanpan::ingest::{Encoding, Source};
use yanpan::model::Dataset;
use yanpan::synth::panel::{PanelSpec, simulate};

/// A petition export of `rows` rows as yanpan's sample files write them.
fn petitions_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from(
        "信访件编号,受理日期,来源渠道,信访类别,被反映单位,被反映人,被反映人职务类别,重点领域,问题类别,是否署名,是否重复件,举报人,反映内容摘要,是否转为问题线索,处置方式,处置日期\n",
    );
    let channels = ["来信", "来访", "来电", "网络", "上级转办"];
    let fields = [
        "审批监管",
        "工程建设",
        "资源开发",
        "金融信贷",
        "土地规划",
        "执法司法",
        "其他",
    ];
    for i in 0..rows {
        let day = 1 + i % 28;
        let month = 1 + i % 12;
        out.push_str(&format!(
            "XF{i:012},2024-{month:02}-{day:02},{},检举控告,D{:02},P{:06},一把手,{},廉洁纪律,{},否,张三{},反映某单位负责人违规审批项目。,{},转办,\n",
            channels[i % channels.len()],
            1 + i % 16,
            i % 5000,
            fields[i % fields.len()],
            if i % 3 == 0 { "是" } else { "否" },
            i % 997,
            if i % 4 == 0 { "是" } else { "否" },
        ));
    }
    out.into_bytes()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    // As the program does, so the figures are the program's.
    yanpan::prefer_small_pages();
    let rows = 500_000;
    let bytes = petitions_csv(rows);
    let source = Source {
        dataset: Dataset::Petitions,
        pattern: "bench.csv".into(),
        format: None,
        encoding: Encoding::Auto,
        sheet: None,
        columns: BTreeMap::new(),
        totals_labels: yanpan::ingest::default_totals_labels(),
        delimiter: None,
        header_row: None,
        skip_footer: 0,
        values: Default::default(),
    };
    let key = Pseudonymiser::new(b"benchmark-key-0123456789abcdef").expect("key");
    let s = time(5, || {
        let loaded =
            yanpan::ingest::load_bytes(Path::new("bench.csv"), bytes.clone(), &source, Some(&key))
                .expect("loads");
        assert_eq!(loaded.frame.height(), rows);
        loaded
    });
    println!(
        "ingest: read and type {rows} petitions ({:.0} MB): {s:.3} s, {:.0} ns a row",
        bytes.len() as f64 / 1e6,
        s / rows as f64 * 1e9
    );
    let spec = PanelSpec {
        seed: 1,
        units: 1000,
        quarters: 40,
        first_signal: 20,
        spike_share: 0.01,
        rise_share: 0.02,
        cluster_share: 0.0,
    };
    let sim = simulate(&spec);
    let settings = ConcentrationSettings::default();
    let s = time(5, || {
        yanpan::eval::evaluate("bench", &sim.panel, &sim.planted, 20, &settings, None)
    });
    println!(
        "detect: concentration over {} units x 20 quarters: {s:.3} s, {:.1} µs a unit-quarter",
        spec.units,
        s / (spec.units * 20) as f64 * 1e6
    );
}
