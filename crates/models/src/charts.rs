//! Charts as self-contained SVG strings, shared by `futbr backtest` and the web pages, so a chart
//! reads the same wherever it appears.
//!
//! Written directly as SVG rather than through plotters because what makes these charts readable
//! is layout control plotters does not give: dates and season boundaries on time axes, the served
//! model drawn strong and the others muted, legends in their own band below the plot (never over
//! data), calibration points sized by their match count with a 95% interval, and a `<title>` /
//! `<desc>` for screen readers. The SVGs scale to their container (`viewBox`, no fixed width).

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use futbr_domain::Match;

use crate::backtest::Backtest;
use crate::candidates::outcome_index;
use crate::metrics::{rps, CalibrationBin};
use crate::report::BacktestReport;

const WIDTH: f64 = 720.0;
const PLOT_HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const AXIS_BAND: f64 = 44.0;
const LEGEND_ROW: f64 = 22.0;
/// Served model: a strong blue (contrast 6.6:1 on white).
const EMPHASIS: &str = "#1b4f9c";
/// Everything else: greys distinguishable by dash pattern, still ≥ 3:1 on white.
const MUTED: &str = "#6b7480";
const DASHES: [&str; 5] = ["", "6 3", "2 3", "8 3 2 3", "12 4"];
/// The reference line (base rate, perfect calibration).
const REFERENCE: &str = "#a33a00";

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(NaiveDate, f64)>,
    /// Drawn strong (the served model); the others are muted.
    pub emphasis: bool,
    /// A reference line (e.g. the base rate), drawn dashed in its own colour.
    pub reference: bool,
}

/// A line chart over calendar time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeChart {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Season boundaries to mark: (first day, label).
    pub seasons: Vec<(NaiveDate, String)>,
    /// `strftime` format of the date ticks (e.g. `%d/%m/%Y` for pt-BR).
    pub date_format: String,
}

/// Escapes text for SVG content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// About `n` round tick values covering `[lo, hi]`.
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

fn decimals(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// How many legend entries fit on one row: three short names, fewer long ones (never overlapping).
fn legend_per_row<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    let longest = names.map(|n| n.chars().count()).max().unwrap_or(0) as f64;
    // About 7.5 px per character at 13 px, plus the 30 px line sample and a gap.
    let needed = 30.0 + 7.5 * longest + 16.0;
    (((WIDTH - LEFT - RIGHT) / needed).floor() as usize).clamp(1, 3)
}

fn legend_rows(entries: usize, per_row: usize) -> f64 {
    entries.div_ceil(per_row.max(1)) as f64
}

fn stroke(series: &Series, k: usize) -> (String, f64, String) {
    if series.reference {
        (REFERENCE.into(), 2.0, "4 4".into())
    } else if series.emphasis {
        (EMPHASIS.into(), 3.0, String::new())
    } else {
        (MUTED.into(), 1.5, DASHES[k % DASHES.len()].into())
    }
}

fn open_svg(out: &mut String, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t d" font-family="system-ui, sans-serif" font-size="13" style="max-width:100%;height:auto"><title id="t">{}</title><desc id="d">{}</desc><rect width="{WIDTH}" height="{height}" fill="#fff"/><text x="{LEFT}" y="24" font-size="15" font-weight="600" fill="#111">{}</text>"##,
        escape(title),
        escape(desc),
        escape(title)
    );
}

/// A line chart with a date axis, season boundaries and the legend below the plot.
pub fn time_chart(chart: &TimeChart) -> String {
    let drawn: Vec<&Series> = chart
        .series
        .iter()
        .filter(|s| !s.points.is_empty())
        .collect();
    let per_row = legend_per_row(drawn.iter().map(|s| s.name.as_str()));
    let height =
        TOP + PLOT_HEIGHT + AXIS_BAND + LEGEND_ROW * legend_rows(drawn.len(), per_row) + 8.0;
    let desc = format!(
        "{}: {}",
        chart.y_label,
        drawn
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out = String::new();
    open_svg(&mut out, height, &chart.title, &desc);
    let dates = drawn.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        let _ = write!(
            out,
            r##"<text x="{LEFT}" y="{}" fill="#333">—</text></svg>"##,
            TOP + 40.0
        );
        return out;
    };
    let values = drawn
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.08).max(0.005);
    let (lo, hi) = if lo <= hi {
        (lo - pad, hi + pad)
    } else {
        (0.0, 1.0)
    };
    let span_days = ((last - first).num_days() as f64).max(1.0);
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (TOP + PLOT_HEIGHT, TOP);
    let x = |d: NaiveDate| x0 + (d - first).num_days() as f64 / span_days * (x1 - x0);
    let y = |v: f64| y0 - (v - lo) / (hi - lo) * (y0 - y1);
    // Grid and y ticks.
    let ticks = nice_ticks(lo, hi, 5);
    let step = ticks.get(1).map(|t| t - ticks[0]).unwrap_or(0.1);
    for t in &ticks {
        let _ = write!(
            out,
            r##"<line x1="{x0}" x2="{x1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e3e6ea"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#333">{t:.prec$}</text>"##,
            yy = y(*t),
            tx = x0 - 6.0,
            ty = y(*t) + 4.0,
            prec = decimals(step) + 1
        );
    }
    // Season boundaries, labelled at the top of the plot.
    for (date, label) in &chart.seasons {
        if *date < first || *date > last {
            continue;
        }
        let xx = x(*date);
        let _ = write!(
            out,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y1}" y2="{y0}" stroke="#8a8f96" stroke-dasharray="3 3"/><text x="{tx:.1}" y="{ty}" fill="#333">{}</text>"##,
            escape(label),
            tx = xx + 4.0,
            ty = y1 + 12.0
        );
    }
    // Date ticks: the first and last day, and up to four between.
    let mut tick_dates = vec![first];
    for k in 1..5 {
        tick_dates.push(first + chrono::Duration::days((span_days * k as f64 / 5.0) as i64));
    }
    if last > first {
        tick_dates.push(last);
    }
    tick_dates.dedup();
    for (k, d) in tick_dates.iter().enumerate() {
        let anchor = match k {
            0 => "start",
            k if k + 1 == tick_dates.len() && k > 0 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y0}" y2="{ty}" stroke="#333"/><text x="{xx:.1}" y="{ly}" text-anchor="{anchor}" fill="#333">{}</text>"##,
            d.format(&chart.date_format),
            xx = x(*d),
            ty = y0 + 5.0,
            ly = y0 + 19.0
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="#333"/><line x1="{x0}" x2="{x0}" y1="{y1}" y2="{y0}" stroke="#333"/><text transform="translate(14 {my}) rotate(-90)" text-anchor="middle" fill="#333">{}</text>"##,
        escape(&chart.y_label),
        my = (y0 + y1) / 2.0
    );
    // Muted lines first, the emphasised one last (on top).
    let mut order: Vec<(usize, &Series)> = drawn.iter().copied().enumerate().collect();
    order.sort_by_key(|(_, s)| s.emphasis);
    for (k, s) in &order {
        let (colour, width, dash) = stroke(s, *k);
        let mut path = String::new();
        let mut previous: Option<NaiveDate> = None;
        for (d, v) in s.points.iter().filter(|p| p.1.is_finite()) {
            // A line never bridges a season boundary (the months between seasons hold no match).
            let bridges = previous.is_some_and(|p| {
                chart
                    .seasons
                    .iter()
                    .any(|(start, _)| p < *start && *start <= *d)
            });
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                match previous {
                    None => "M",
                    Some(_) if bridges => " M",
                    Some(_) => " L",
                },
                x(*d),
                y(*v)
            );
            previous = Some(*d);
        }
        let _ = write!(
            out,
            r##"<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-dasharray="{dash}" stroke-linejoin="round"><title>{}</title></path>"##,
            escape(&s.name)
        );
        if s.points.len() == 1 || s.emphasis {
            for (d, v) in &s.points {
                let _ = write!(
                    out,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{colour}"/>"##,
                    x(*d),
                    y(*v),
                    if s.emphasis { 3.5 } else { 2.5 }
                );
            }
        }
    }
    legend(
        &mut out,
        y0 + AXIS_BAND,
        per_row,
        drawn.iter().enumerate().map(|(k, s)| {
            let (c, w, d) = stroke(s, k);
            (s.name.clone(), c, w, d, false)
        }),
    );
    out.push_str("</svg>");
    out
}

/// Legend entries, `per_row` to a row, starting at `top` (below the plot).
fn legend(
    out: &mut String,
    top: f64,
    per_row: usize,
    entries: impl Iterator<Item = (String, String, f64, String, bool)>,
) {
    let per_row = per_row.max(1);
    let column = (WIDTH - LEFT - RIGHT) / per_row as f64;
    for (k, (name, colour, width, dash, dot)) in entries.enumerate() {
        let lx = LEFT + column * (k % per_row) as f64;
        let ly = top + LEGEND_ROW * (k / per_row) as f64 + 6.0;
        if dot {
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="{ly:.1}" r="5" fill="{colour}"/>"##,
                lx + 12.0
            );
        } else {
            let _ = write!(
                out,
                r##"<line x1="{lx:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="{width}" stroke-dasharray="{dash}"/>"##,
                lx + 24.0
            );
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" fill="#111">{}</text>"##,
            lx + 30.0,
            ly + 4.0,
            escape(&name)
        );
    }
}

/// Wilson 95% interval of a proportion `hits / n`.
pub fn wilson_interval(p: f64, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let z = 1.959_963_984_540_054_f64;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Labels of a calibration chart (the caller's language).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationLabels {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Legend: the model's bins ("observed, with 95% interval; dot size = matches").
    pub observed: String,
    pub perfect: String,
    /// Prefix of a bin's count label (`n=`).
    pub count_prefix: String,
}

/// Calibration of the top label: each bin at (mean predicted, observed frequency), its dot sized
/// by its match count and labelled with it, with the Wilson 95% interval as a vertical bar, so a
/// bin of one match cannot pass for a measured point.
pub fn calibration_chart(bins: &[CalibrationBin], labels: &CalibrationLabels) -> String {
    let per_row = legend_per_row([labels.observed.as_str(), labels.perfect.as_str()].into_iter());
    let height = TOP + PLOT_HEIGHT + AXIS_BAND + LEGEND_ROW * legend_rows(2, per_row) + 8.0;
    let desc = bins
        .iter()
        .map(|b| {
            format!(
                "{:.0}–{:.0}%: {} {}, {:.1}% → {:.1}%",
                100.0 * b.lower,
                100.0 * b.upper,
                labels.count_prefix,
                b.count,
                100.0 * b.mean_predicted,
                100.0 * b.observed_frequency
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = String::new();
    open_svg(&mut out, height, &labels.title, &desc);
    // The favourite's probability is at least 1/3: the axes start at 0.3.
    let (lo, hi) = (0.3, 1.0);
    let plot_w = (WIDTH - LEFT - RIGHT).min(PLOT_HEIGHT * 1.6);
    let (x0, x1) = (LEFT, LEFT + plot_w);
    let (y0, y1) = (TOP + PLOT_HEIGHT, TOP);
    let x = |v: f64| x0 + (v.clamp(lo, hi) - lo) / (hi - lo) * (x1 - x0);
    let y = |v: f64| y0 - (v.clamp(0.0, 1.0) - 0.0) / 1.0 * (y0 - y1);
    for t in [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] {
        let _ = write!(
            out,
            r##"<line x1="{x0}" x2="{x1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e3e6ea"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#333">{p:.0}%</text>"##,
            yy = y(t),
            tx = x0 - 6.0,
            ty = y(t) + 4.0,
            p = 100.0 * t
        );
    }
    for t in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] {
        let _ = write!(
            out,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y0}" y2="{ty}" stroke="#333"/><text x="{xx:.1}" y="{ly}" text-anchor="middle" fill="#333">{p:.0}%</text>"##,
            xx = x(t),
            ty = y0 + 5.0,
            ly = y0 + 19.0,
            p = 100.0 * t
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="#333"/><line x1="{x0}" x2="{x0}" y1="{y1}" y2="{y0}" stroke="#333"/><text x="{mx:.1}" y="{ly}" text-anchor="middle" fill="#333">{}</text><text transform="translate(14 {my}) rotate(-90)" text-anchor="middle" fill="#333">{}</text>"##,
        escape(&labels.x_label),
        escape(&labels.y_label),
        mx = (x0 + x1) / 2.0,
        ly = y0 + 36.0,
        my = (y0 + y1) / 2.0
    );
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="4 4"/>"##,
        x(lo),
        y(lo),
        x(hi),
        y(hi)
    );
    let largest = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    for b in bins.iter().filter(|b| b.count > 0) {
        let (low, high) = wilson_interval(b.observed_frequency, b.count);
        let (cx, cy) = (x(b.mean_predicted), y(b.observed_frequency));
        let r = 3.0 + 7.0 * (b.count as f64 / largest).sqrt();
        let _ = write!(
            out,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="{EMPHASIS}" stroke-width="1.5"/><circle cx="{cx:.1}" cy="{cy:.1}" r="{r:.1}" fill="{EMPHASIS}" fill-opacity="0.85"><title>{}</title></circle><text x="{:.1}" y="{:.1}" fill="#111" font-size="11">{}{}</text>"##,
            y(low),
            y(high),
            escape(&format!(
                "{:.1}% → {:.1}% ({}{})",
                100.0 * b.mean_predicted,
                100.0 * b.observed_frequency,
                labels.count_prefix,
                b.count
            )),
            cx + r + 3.0,
            cy + 4.0,
            escape(&labels.count_prefix),
            b.count
        );
    }
    legend(
        &mut out,
        y0 + AXIS_BAND,
        per_row,
        [
            (
                labels.observed.clone(),
                EMPHASIS.to_string(),
                3.0,
                String::new(),
                true,
            ),
            (
                labels.perfect.clone(),
                REFERENCE.to_string(),
                2.0,
                "4 4".to_string(),
                false,
            ),
        ]
        .into_iter(),
    );
    out.push_str("</svg>");
    out
}

/// Season start dates in a chronological list of (date, season) pairs: the first date of each
/// season, labelled with the season.
pub fn season_starts(
    dated: impl IntoIterator<Item = (NaiveDate, i32)>,
) -> Vec<(NaiveDate, String)> {
    let mut out: Vec<(NaiveDate, String)> = Vec::new();
    let mut current = None;
    for (date, season) in dated {
        if current != Some(season) {
            current = Some(season);
            out.push((date, season.to_string()));
        }
    }
    // A boundary at the very first point marks nothing.
    if out.len() > 1 || out.first().is_some_and(|(d, _)| d.month() > 1) {
        out
    } else {
        Vec::new()
    }
}

/// The backtest report's calibration chart: the served model's top-label bins.
pub fn backtest_calibration_svg(report: &BacktestReport) -> String {
    let bins = report
        .candidates
        .iter()
        .find(|c| c.name == report.served)
        .map(|c| c.calibration.clone())
        .unwrap_or_default();
    calibration_chart(
        &bins,
        &CalibrationLabels {
            title: format!(
                "Calibration of {} ({} to {})",
                report.served, report.test_from, report.test_to
            ),
            x_label: "predicted probability of the most likely outcome".into(),
            y_label: "how often it happened".into(),
            observed: "observed, with 95% interval (dot area ∝ matches)".into(),
            perfect: "perfect calibration".into(),
            count_prefix: "n=".into(),
        },
    )
}

/// Rolling mean RPS (over `window` matches) of every candidate of a backtest, on a date axis with
/// season boundaries; `served` drawn strong, the others muted.
pub fn backtest_rolling_rps_svg(
    backtest: &Backtest,
    matches: &[Match],
    window: usize,
    served: &str,
) -> String {
    let window = window.max(1);
    let tested: Vec<&Match> = backtest.test.iter().map(|&i| &matches[i]).collect();
    let outcomes: Vec<usize> = tested.iter().map(|m| outcome_index(m)).collect();
    let series = backtest
        .runs
        .iter()
        .map(|run| {
            let scores: Vec<f64> = run
                .predictions
                .iter()
                .zip(&outcomes)
                .map(|(p, &o)| rps(p, o))
                .collect();
            let mut points = Vec::new();
            let mut sum = 0.0;
            for (i, s) in scores.iter().enumerate() {
                sum += s;
                if i >= window {
                    sum -= scores[i - window];
                }
                if i + 1 >= window {
                    points.push((tested[i].date, sum / window as f64));
                }
            }
            let name = run.candidate.name();
            Series {
                name: if name == served {
                    format!("{name} (served)")
                } else {
                    name.to_string()
                },
                points,
                emphasis: name == served,
                reference: false,
            }
        })
        .collect();
    time_chart(&TimeChart {
        title: format!("Rolling RPS over the last {window} matches (lower is better)"),
        y_label: "RPS".into(),
        series,
        seasons: season_starts(tested.iter().map(|m| (m.date, m.season))),
        date_format: "%Y-%m-%d".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn time_chart_has_dates_seasons_emphasis_and_a_legend_below_the_plot() {
        let chart = TimeChart {
            title: "RPS <over> time".into(),
            y_label: "RPS".into(),
            series: vec![
                Series {
                    name: "served".into(),
                    points: vec![(d("2023-05-01"), 0.2), (d("2024-06-01"), 0.21)],
                    emphasis: true,
                    reference: false,
                },
                Series {
                    name: "other".into(),
                    points: vec![(d("2023-05-01"), 0.22), (d("2024-06-01"), 0.19)],
                    emphasis: false,
                    reference: false,
                },
            ],
            seasons: vec![(d("2024-04-13"), "2024".into())],
            date_format: "%d/%m/%Y".into(),
        };
        let svg = time_chart(&chart);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("RPS &lt;over&gt; time"), "text is escaped");
        assert!(svg.contains("01/05/2023") && svg.contains("01/06/2024"));
        assert!(svg.contains(">2024</text>"), "season boundary labelled");
        assert!(svg.contains(&format!("stroke=\"{EMPHASIS}\" stroke-width=\"3\"")));
        assert!(svg.contains(&format!("stroke=\"{MUTED}\"")));
        // The emphasised line is drawn after (on top of) the muted one.
        let served = svg.find("<title>served</title>").unwrap();
        let other = svg.find("<title>other</title>").unwrap();
        assert!(other < served);
        // Legend text sits below the plot's bottom edge.
        let legend_y: f64 = svg
            .split("<text x=\"")
            .filter(|t| t.contains(">served</text>"))
            .map(|t| t.split('"').nth(2).unwrap().parse().unwrap())
            .next()
            .unwrap();
        assert!(legend_y > TOP + PLOT_HEIGHT + 20.0);
    }

    #[test]
    fn lines_break_at_season_boundaries() {
        let chart = TimeChart {
            title: "t".into(),
            y_label: "RPS".into(),
            series: vec![Series {
                name: "served".into(),
                points: vec![
                    (d("2023-11-26"), 0.2),
                    (d("2023-12-06"), 0.21),
                    (d("2024-04-14"), 0.19),
                    (d("2024-04-21"), 0.22),
                ],
                emphasis: true,
                reference: false,
            }],
            seasons: vec![
                (d("2023-11-26"), "2023".into()),
                (d("2024-04-14"), "2024".into()),
            ],
            date_format: "%d/%m/%Y".into(),
        };
        let svg = time_chart(&chart);
        let path = svg
            .split("<path d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        // Two pieces: 2023's two points, then 2024's two.
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 2, "{path}");
    }

    #[test]
    fn calibration_chart_labels_counts_and_draws_intervals() {
        let bins = vec![
            CalibrationBin {
                lower: 0.4,
                upper: 0.5,
                count: 200,
                mean_predicted: 0.45,
                observed_frequency: 0.47,
            },
            CalibrationBin {
                lower: 0.9,
                upper: 1.0,
                count: 1,
                mean_predicted: 0.92,
                observed_frequency: 0.0,
            },
        ];
        let labels = CalibrationLabels {
            title: "Calibração".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            observed: "observado".into(),
            perfect: "perfeito".into(),
            count_prefix: "n=".into(),
        };
        let svg = calibration_chart(&bins, &labels);
        assert!(svg.contains(">n=200</text>") && svg.contains(">n=1</text>"));
        // A one-match bin has an interval spanning most of the axis.
        let (lo, hi) = wilson_interval(0.0, 1);
        assert!(lo == 0.0 && hi > 0.75);
        assert_eq!(
            svg.matches("<circle").count(),
            3,
            "two bins and the legend dot"
        );
    }

    #[test]
    fn wilson_interval_narrows_with_more_matches() {
        let (a, b) = wilson_interval(0.5, 10);
        let (c, e) = wilson_interval(0.5, 1000);
        assert!(a < c && e < b);
        assert!((c - 0.469).abs() < 0.01 && (e - 0.531).abs() < 0.01);
    }

    #[test]
    fn season_starts_mark_each_new_season() {
        let s = season_starts([
            (d("2023-04-15"), 2023),
            (d("2023-12-06"), 2023),
            (d("2024-04-13"), 2024),
        ]);
        assert_eq!(
            s,
            vec![
                (d("2023-04-15"), "2023".to_string()),
                (d("2024-04-13"), "2024".to_string())
            ]
        );
    }

    #[test]
    fn empty_chart_is_still_valid_svg() {
        let svg = time_chart(&TimeChart {
            title: "t".into(),
            y_label: "y".into(),
            series: vec![],
            seasons: vec![],
            date_format: "%Y".into(),
        });
        assert!(svg.ends_with("</svg>"));
    }
}
