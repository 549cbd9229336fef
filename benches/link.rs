//! Repeat linking alone, timed on a store's petitions (`cargo bench
//! --bench link -- STORE [DAYS]`): every petition of the last DAYS days
//! (default 366) stored, none decided before, as a store loaded with a
//! year of exports links them. Prints the median of three runs and how
//! many matters were found; and, as a floor under any exact method, the
//! time to cut every summary into its bigrams and facts (on all cores).

use std::hint::black_box;
use std::time::Instant;

use polars::prelude::*;
use rayon::prelude::*;
use yanpan::aggregate::link::summary::FeatureSets;
use yanpan::aggregate::link::{LinkRules, link};
use yanpan::aggregate::link_read::LinkColumns;
use yanpan::model::Dataset;
use yanpan::store::Store;

fn main() -> anyhow::Result<()> {
    // As the program does, so the figures are the program's.
    yanpan::prefer_small_pages();
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let root = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: cargo bench --bench link -- STORE [DAYS]"))?;
    let days: i32 = args.next().map_or(Ok(366), |d| d.parse())?;
    let store = Store::open(&root)?;
    let t = Instant::now();
    let df = store
        .scan(Dataset::Petitions)?
        .select(LinkColumns::read())
        .filter(
            col("received_on")
                .cast(DataType::Int32)
                .gt(col("received_on").cast(DataType::Int32).max() - lit(days)),
        )
        .collect()?;
    let read = t.elapsed().as_secs_f64();
    let columns = LinkColumns::of(&df)?;
    let refs = columns.refs(|_| false);
    let mut times = Vec::new();
    let mut matters = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let links = black_box(link(&refs, LinkRules::default()));
        times.push(t.elapsed().as_secs_f64());
        matters = links
            .iter()
            .enumerate()
            .filter(|(i, l)| l.is_some_and(|l| l.matter == *i))
            .count();
    }
    times.sort_by(f64::total_cmp);
    let mut cut = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        black_box(
            refs.par_iter()
                .fold(FeatureSets::default, |mut sets, r| {
                    sets.push(r.summary);
                    sets
                })
                .map(|sets| sets.len())
                .sum::<usize>(),
        );
        cut.push(t.elapsed().as_secs_f64());
    }
    cut.sort_by(f64::total_cmp);
    println!(
        "link: {} petitions (read in {read:.1} s) into {matters} matters: {:.2} s (median of 3; {:.2}–{:.2}), {:.2} µs a petition",
        refs.len(),
        times[1],
        times[0],
        times[2],
        times[1] / refs.len() as f64 * 1e6
    );
    println!(
        "floor: reading the petitions {read:.2} s, cutting every summary into bigrams and facts {:.2} s (median of 3)",
        cut[1]
    );
    Ok(())
}
