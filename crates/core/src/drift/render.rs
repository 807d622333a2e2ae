//! Rendering a [`DriftReport`] for people: an HTML fragment for notebooks
//! ([`DriftReport::to_html`]), a standalone HTML document ([`DriftReport::to_html_document`],
//! [`DriftReport::save_html`]) and a small inline SVG histogram per column
//! ([`ColumnDrift::histogram_svg`]).
//!
//! Everything is self-contained: no external asset, no JavaScript. Every string that comes
//! from data (column names, category labels, notes, the creation time) is HTML-escaped, and
//! NaN or infinite numbers are written as `NaN` / `inf` text, never into SVG geometry.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::report::{ColumnDrift, ColumnStatus, Correction, DriftReport, DriftTest, Histogram, SideCounts};
use crate::error::{Error, Result};

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// Categorical histograms plot at most this many categories (the largest by share).
const MAX_CATEGORIES: usize = 20;
/// Colour of the reference bars (and legend swatch).
const REFERENCE_COLOUR: &str = "#9e9e9e";
/// Colour of the current bars (and legend swatch).
const CURRENT_COLOUR: &str = "#2f7ed8";

/// SVG size and plot area, in px.
const SVG_WIDTH: f64 = 220.0;
const SVG_HEIGHT: f64 = 70.0;
const PLOT_LEFT: f64 = 2.0;
const PLOT_RIGHT: f64 = 218.0;
const PLOT_TOP: f64 = 4.0;
const PLOT_BASE: f64 = 56.0;
const CAPTION_Y: f64 = 67.0;

/// Display names of the tests; a test missing here shows its stable name.
const TEST_LABELS: [(DriftTest, &str); 11] = [
    (DriftTest::Ks, "Kolmogorov-Smirnov"),
    (DriftTest::CramerVonMises, "Cramér-von Mises"),
    (DriftTest::AndersonDarling, "Anderson-Darling"),
    (DriftTest::Psi, "PSI"),
    (DriftTest::WassersteinNormed, "Wasserstein (normed)"),
    (DriftTest::Wasserstein, "Wasserstein"),
    (DriftTest::JensenShannon, "Jensen-Shannon"),
    (DriftTest::Hellinger, "Hellinger"),
    (DriftTest::ChiSquare, "chi-square"),
    (DriftTest::TotalVariation, "total variation"),
    (DriftTest::LInfinity, "L∞"),
];

/// Scoped style of the fragment: every rule is under `.ferrops-drift`, colours inherit
/// the notebook's text colour or are translucent, so light and dark themes both read.
const STYLE: &str = "<style>\
.ferrops-drift{font-family:-apple-system,BlinkMacSystemFont,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;\
font-size:13px;line-height:1.4;color:inherit;max-width:100%;overflow-x:auto;margin:.3em 0}\
.ferrops-drift .ferrops-drift-head{display:flex;flex-wrap:wrap;align-items:center;gap:.3em .8em;margin:0 0 .3em}\
.ferrops-drift .ferrops-drift-title{font-size:1.15em;font-weight:600}\
.ferrops-drift .ferrops-drift-muted{opacity:.72}\
.ferrops-drift .ferrops-drift-line{margin:.15em 0}\
.ferrops-drift .ferrops-drift-badge{display:inline-block;padding:.05em .6em;border-radius:.8em;\
font-size:.85em;font-weight:600;color:#fff;white-space:nowrap}\
.ferrops-drift .ferrops-drift-badge-drift{background:#c62828}\
.ferrops-drift .ferrops-drift-badge-ok{background:#2e7d32}\
.ferrops-drift .ferrops-drift-badge-none{background:#6b7280}\
.ferrops-drift .ferrops-drift-swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;\
vertical-align:-.05em;margin:0 .25em 0 .6em}\
.ferrops-drift table.ferrops-drift-table{border-collapse:collapse;margin:.4em 0 0;width:auto;\
font-size:inherit;color:inherit;background:transparent;border:none}\
.ferrops-drift table.ferrops-drift-table th,.ferrops-drift table.ferrops-drift-table td{padding:.3em .6em;\
text-align:left;vertical-align:middle;border:none;border-bottom:1px solid rgba(128,128,128,.3);\
color:inherit;white-space:nowrap;max-width:none}\
.ferrops-drift table.ferrops-drift-table th{font-weight:600;border-bottom:2px solid rgba(128,128,128,.55)}\
.ferrops-drift table.ferrops-drift-table td.ferrops-drift-num{text-align:right;font-variant-numeric:tabular-nums}\
.ferrops-drift table.ferrops-drift-table tr.ferrops-drift-row-drift td:first-child{box-shadow:inset 3px 0 0 #c62828}\
.ferrops-drift table.ferrops-drift-table tbody tr:hover{background:rgba(128,128,128,.12)}\
.ferrops-drift .ferrops-drift-sub{display:block;font-size:.85em;opacity:.72}\
.ferrops-drift .ferrops-drift-notes{margin:0;padding-left:1.1em;white-space:normal;min-width:12em;\
max-width:28em;font-size:.9em}\
.ferrops-drift svg.ferrops-drift-hist{display:block;overflow:visible}\
</style>";

impl ColumnDrift {
    /// A small (220 × 70 px) inline SVG of the reference and current share per bin or
    /// category, or `None` when the column has no [`histogram`](ColumnDrift::histogram).
    ///
    /// Each bin shows two bars side by side, reference in grey and current in blue, scaled
    /// to the largest share shown; hovering a bin shows a tooltip (`<title>`) with its label
    /// and both shares in percent. Numeric histograms show every bin, with the outer bin
    /// edges written under the axis. Categorical histograms (no `edges`) with more than
    /// 20 categories plot the 20 with the largest share on either side, in their original
    /// order, and write "+N more" under the axis (its tooltip gives the shares of the rest).
    /// An empty histogram, or one whose shares are all zero or not finite, gives a
    /// placeholder reading "no data". NaN and infinite shares are drawn as empty bars and
    /// written as `NaN` / `inf` in tooltips.
    ///
    /// The SVG has no external asset and no script; text and axis use `currentColor`, so
    /// they follow the surrounding text colour (light and dark themes). Labels are
    /// HTML-escaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrops::drift::{ColumnDrift, ColumnStatus, DriftTest, Histogram, SideCounts};
    ///
    /// let column = ColumnDrift {
    ///     column: "city".into(),
    ///     kind: "categorical".into(),
    ///     test: DriftTest::ChiSquare,
    ///     status: ColumnStatus::Tested,
    ///     statistic: 12.5,
    ///     p_value: Some(0.002),
    ///     adjusted_p_value: Some(0.002),
    ///     threshold: 0.05,
    ///     drifted: true,
    ///     reference: SideCounts { rows: 100, tested: 100, ..Default::default() },
    ///     current: SideCounts { rows: 80, tested: 80, ..Default::default() },
    ///     notes: vec![],
    ///     also: vec![],
    ///     histogram: Some(Histogram {
    ///         labels: vec!["Paris".into(), "Lyon".into()],
    ///         edges: vec![],
    ///         reference: vec![0.7, 0.3],
    ///         current: vec![0.4, 0.6],
    ///     }),
    /// };
    /// let svg = column.histogram_svg().unwrap();
    /// assert!(svg.starts_with("<svg"));
    /// assert!(svg.contains("<title>Lyon: reference 30%, current 60%</title>"));
    /// ```
    pub fn histogram_svg(&self) -> Option<String> {
        self.histogram.as_ref().map(|h| histogram_svg(h, &self.column))
    }
}

impl DriftReport {
    /// The report as an HTML fragment, for Jupyter's `_repr_html_` or to embed in a page.
    ///
    /// A header gives the dataset verdict (a red "dataset drift" or green "no dataset
    /// drift" badge), how many columns drifted, the drifted share against its threshold,
    /// the reference and current row counts, the correction and the creation time; a line
    /// lists the drifted columns. A table follows with one row per column, in the report's
    /// order: column, kind, test, statistic, p-value and adjusted p-value (— for
    /// distances), the threshold (`p < α` or `≥ d`), a verdict badge (drift / no drift /
    /// no data / constant), the reference and current row counts (with null, NaN and inf
    /// counts when non-zero), the notes, and the [`histogram_svg`](ColumnDrift::histogram_svg).
    ///
    /// Numbers show 4 significant digits (scientific below 1e-4 and from 1e6), NaN and
    /// infinities as `NaN` / `inf`. The style is scoped to the `ferrops-drift` class and
    /// uses the notebook's text colour, so it reads in light and dark themes. Every string
    /// from data is HTML-escaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use ferrops::drift::{Correction, DriftReport};
    ///
    /// let report = DriftReport {
    ///     columns: vec![],
    ///     correction: Correction::None,
    ///     drifted_share: 0.0,
    ///     share_threshold: 0.5,
    ///     dataset_drifted: false,
    ///     reference_rows: 1000,
    ///     current_rows: 900,
    ///     created_at: "2026-11-27T01:00:00Z".into(),
    /// };
    /// let html = report.to_html();
    /// assert!(html.starts_with("<div class=\"ferrops-drift\">"));
    /// assert!(html.contains("no dataset drift"));
    /// ```
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(4096 + 2048 * self.columns.len());
        out.push_str("<div class=\"ferrops-drift\">");
        out.push_str(STYLE);
        self.write_header(&mut out);
        if self.columns.is_empty() {
            out.push_str(
                "<div class=\"ferrops-drift-line ferrops-drift-muted\">No column was compared.</div>",
            );
        } else {
            out.push_str(
                "<table class=\"ferrops-drift-table\"><thead><tr><th>column</th><th>kind</th><th>test</th>\
                 <th>statistic</th><th>p-value</th><th>adjusted p</th><th>threshold</th><th>verdict</th>\
                 <th>reference</th><th>current</th><th>notes</th><th>distribution</th></tr></thead><tbody>",
            );
            for column in &self.columns {
                write_row(&mut out, column);
            }
            out.push_str("</tbody></table>");
        }
        out.push_str("</div>");
        out
    }

    /// The report as a standalone HTML5 document (`<meta charset="utf-8">`, a title, the
    /// [`to_html`](Self::to_html) fragment as body), light or dark after the viewer's
    /// preference.
    pub fn to_html_document(&self) -> String {
        let fragment = self.to_html();
        let mut out = String::with_capacity(fragment.len() + 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
        w!(out, "<title>Drift report {}</title>\n", escape(&self.created_at));
        out.push_str(
            "<style>body{margin:1.5rem;background:#fff;color:#1f2328}\
             @media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}}</style>\n",
        );
        out.push_str("</head>\n<body>\n");
        out.push_str(&fragment);
        out.push_str("\n</body>\n</html>\n");
        out
    }

    /// Write [`to_html_document`](Self::to_html_document) to the file `path`, replacing it
    /// if it exists.
    ///
    /// The document is written to a temporary file in the same directory and renamed into
    /// place, so readers never see a half-written file and a failed save leaves nothing
    /// behind. The directory must exist.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming `path` when the directory is missing or not writable, or
    /// `path` is a directory; [`Error::InvalidParameter`] when `path` has no file name.
    pub fn save_html(&self, path: impl AsRef<Path>) -> Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = path.as_ref();
        let io = |source: std::io::Error| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path.file_name().ok_or_else(|| {
            Error::param(
                "path",
                path.display(),
                "not a file path; give a file name such as drift_report.html",
            )
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let document = self.to_html_document();
        // create_new: never clobber a file we did not create; only then is it ours to remove.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io)?;
        let written = file
            .write_all(document.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| {
                drop(file);
                fs::rename(&tmp, path)
            });
        if let Err(source) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(source));
        }
        Ok(())
    }

    fn write_header(&self, out: &mut String) {
        let drifted = self.drifted_columns();
        out.push_str(
            "<div class=\"ferrops-drift-head\"><span class=\"ferrops-drift-title\">Drift report</span>",
        );
        if self.dataset_drifted {
            out.push_str(
                "<span class=\"ferrops-drift-badge ferrops-drift-badge-drift\">dataset drift</span>",
            );
        } else {
            out.push_str(
                "<span class=\"ferrops-drift-badge ferrops-drift-badge-ok\">no dataset drift</span>",
            );
        }
        w!(
            out,
            "<span>{} of {} columns drifted; drifted share {} (dataset drift at ≥ {})</span></div>",
            drifted.len(),
            self.columns.len(),
            fmt_pct(self.drifted_share),
            fmt_pct(self.share_threshold)
        );
        w!(
            out,
            "<div class=\"ferrops-drift-line ferrops-drift-muted\">reference {} rows · current {} rows · \
             correction: {} · created {}</div>",
            fmt_count(self.reference_rows),
            fmt_count(self.current_rows),
            correction_label(self.correction),
            escape(&self.created_at)
        );
        out.push_str("<div class=\"ferrops-drift-line\">");
        if drifted.is_empty() {
            out.push_str("No column drifted.");
        } else {
            w!(out, "Drifted columns ({}): ", drifted.len());
            for (i, name) in drifted.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                w!(out, "<b>{}</b>", escape(name));
            }
            out.push('.');
        }
        w!(
            out,
            "<span class=\"ferrops-drift-swatch\" style=\"background:{REFERENCE_COLOUR}\"></span>reference\
             <span class=\"ferrops-drift-swatch\" style=\"background:{CURRENT_COLOUR}\"></span>current</div>"
        );
    }
}

fn write_row(out: &mut String, c: &ColumnDrift) {
    let tested = c.status == ColumnStatus::Tested;
    if tested && c.drifted {
        out.push_str("<tr class=\"ferrops-drift-row-drift\">");
    } else {
        out.push_str("<tr>");
    }
    w!(
        out,
        "<td><b>{}</b></td><td>{}</td>",
        escape(&c.column),
        escape(&c.kind)
    );
    w!(
        out,
        "<td title=\"{}\">{}</td>",
        c.test.name(),
        escape(test_label(c.test))
    );
    let statistic = if !tested && c.statistic.is_nan() {
        "—".to_string()
    } else {
        fmt_num(c.statistic)
    };
    let p = |v: Option<f64>| v.map_or_else(|| "—".to_string(), fmt_num);
    w!(
        out,
        "<td class=\"ferrops-drift-num\">{statistic}</td><td class=\"ferrops-drift-num\">{}</td>\
         <td class=\"ferrops-drift-num\">{}</td>",
        p(c.p_value),
        p(c.adjusted_p_value)
    );
    if c.test.is_hypothesis_test() {
        w!(out, "<td>p &lt; {}</td>", fmt_num(c.threshold));
    } else {
        w!(out, "<td>≥ {}</td>", fmt_num(c.threshold));
    }
    let (badge, class) = match c.status {
        ColumnStatus::Tested if c.drifted => ("drift", "drift"),
        ColumnStatus::Tested => ("no drift", "ok"),
        ColumnStatus::NoData => ("no data", "none"),
        ColumnStatus::Constant => ("constant", "none"),
    };
    w!(
        out,
        "<td><span class=\"ferrops-drift-badge ferrops-drift-badge-{class}\">{badge}</span></td>"
    );
    write_counts(out, &c.reference);
    write_counts(out, &c.current);
    out.push_str("<td>");
    if !c.notes.is_empty() {
        out.push_str("<ul class=\"ferrops-drift-notes\">");
        for note in &c.notes {
            w!(out, "<li>{}</li>", escape(note));
        }
        out.push_str("</ul>");
    }
    out.push_str("</td><td>");
    match c.histogram_svg() {
        Some(svg) => out.push_str(&svg),
        None => out.push_str("<span class=\"ferrops-drift-muted\">—</span>"),
    }
    out.push_str("</td></tr>");
}

fn write_counts(out: &mut String, s: &SideCounts) {
    w!(out, "<td class=\"ferrops-drift-num\">{} rows", fmt_count(s.rows));
    let mut extras = Vec::new();
    for (n, what) in [(s.nulls, "null"), (s.nan, "NaN"), (s.inf, "inf")] {
        if n > 0 {
            extras.push(format!("{} {what}", fmt_count(n)));
        }
    }
    if s.tested != s.rows {
        extras.push(format!("{} tested", fmt_count(s.tested)));
    }
    if !extras.is_empty() {
        w!(
            out,
            "<span class=\"ferrops-drift-sub\">{}</span>",
            extras.join(" · ")
        );
    }
    out.push_str("</td>");
}

/// One bin to plot.
struct Bin<'a> {
    label: std::borrow::Cow<'a, str>,
    reference: f64,
    current: f64,
}

/// Bar height as a share: 0 for NaN, infinite or negative shares.
fn drawable(share: f64) -> f64 {
    if share.is_finite() && share > 0.0 {
        share
    } else {
        0.0
    }
}

fn histogram_svg(h: &Histogram, column: &str) -> String {
    let n = h.labels.len().max(h.reference.len()).max(h.current.len());
    let bins: Vec<Bin<'_>> = (0..n)
        .map(|i| Bin {
            label: h
                .labels
                .get(i)
                .map_or_else(|| format!("bin {}", i + 1).into(), |l| l.as_str().into()),
            reference: h.reference.get(i).copied().unwrap_or(f64::NAN),
            current: h.current.get(i).copied().unwrap_or(f64::NAN),
        })
        .collect();
    let top = bins
        .iter()
        .map(|b| drawable(b.reference).max(drawable(b.current)))
        .fold(0.0_f64, f64::max);
    if top <= 0.0 {
        return placeholder_svg(column, "no data");
    }

    // Categorical (no edges): the MAX_CATEGORIES largest, in their original order.
    let categorical = h.edges.is_empty();
    let mut shown: Vec<usize> = (0..bins.len()).collect();
    let mut hidden: Vec<usize> = Vec::new();
    if categorical && bins.len() > MAX_CATEGORIES {
        let key = |i: &usize| {
            bins.get(*i)
                .map_or(0.0, |b| drawable(b.reference).max(drawable(b.current)))
        };
        shown.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.cmp(b)));
        hidden = shown.split_off(MAX_CATEGORIES);
        shown.sort_unstable();
        hidden.sort_unstable();
    }

    let mut out = String::with_capacity(400 + 260 * shown.len());
    w!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ferrops-drift-hist\" width=\"{SVG_WIDTH}\" \
         height=\"{SVG_HEIGHT}\" viewBox=\"0 0 {SVG_WIDTH} {SVG_HEIGHT}\" role=\"img\" \
         aria-label=\"{col}: reference and current share per {unit}\">\
         <title>{col}: reference (grey) and current (blue) share per {unit}</title>",
        col = escape(column),
        unit = if categorical { "category" } else { "bin" },
    );
    w!(
        out,
        "<line x1=\"{PLOT_LEFT}\" y1=\"{y:.1}\" x2=\"{PLOT_RIGHT}\" y2=\"{y:.1}\" stroke=\"currentColor\" \
         stroke-opacity=\"0.45\" stroke-width=\"1\"/>",
        y = PLOT_BASE + 0.5
    );
    let slot = (PLOT_RIGHT - PLOT_LEFT) / shown.len().max(1) as f64;
    let gap = (slot * 0.2).min(4.0);
    let bar = ((slot - gap) / 2.0).min(16.0);
    let offset = (slot - 2.0 * bar) / 2.0;
    let span = PLOT_BASE - PLOT_TOP;
    let height = |share: f64| {
        let v = drawable(share) / top * span;
        if v > 0.0 && v < 1.0 {
            1.0
        } else {
            v.min(span)
        }
    };
    for (k, bin) in shown.iter().filter_map(|&i| bins.get(i)).enumerate() {
        let x = PLOT_LEFT + k as f64 * slot;
        w!(
            out,
            "<g><title>{}: reference {}, current {}</title>\
             <rect x=\"{x:.2}\" y=\"{PLOT_TOP}\" width=\"{slot:.2}\" height=\"{span}\" fill=\"transparent\"/>",
            escape(&bin.label),
            fmt_pct(bin.reference),
            fmt_pct(bin.current)
        );
        for (j, (share, colour)) in [(bin.reference, REFERENCE_COLOUR), (bin.current, CURRENT_COLOUR)]
            .into_iter()
            .enumerate()
        {
            let hgt = height(share);
            w!(
                out,
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{bar:.2}\" height=\"{hgt:.2}\" fill=\"{colour}\"/>",
                x + offset + j as f64 * bar,
                PLOT_BASE - hgt
            );
        }
        out.push_str("</g>");
    }
    let text = "font-size=\"9\" font-family=\"sans-serif\" fill=\"currentColor\"";
    if categorical {
        if !hidden.is_empty() {
            let sum = |side: fn(&Bin<'_>) -> f64| {
                hidden
                    .iter()
                    .filter_map(|&i| bins.get(i))
                    .map(|b| drawable(side(b)))
                    .sum::<f64>()
            };
            w!(
                out,
                "<text x=\"{PLOT_RIGHT}\" y=\"{CAPTION_Y}\" text-anchor=\"end\" {text}>\
                 <title>{n} more categories: reference {}, current {}</title>+{n} more</text>",
                fmt_pct(sum(|b| b.reference)),
                fmt_pct(sum(|b| b.current)),
                n = hidden.len()
            );
        }
    } else {
        if let Some(first) = h.edges.first() {
            w!(
                out,
                "<text x=\"{PLOT_LEFT}\" y=\"{CAPTION_Y}\" {text}>{}</text>",
                fmt_num(*first)
            );
        }
        if let (Some(last), true) = (h.edges.last(), h.edges.len() > 1) {
            w!(
                out,
                "<text x=\"{PLOT_RIGHT}\" y=\"{CAPTION_Y}\" text-anchor=\"end\" {text}>{}</text>",
                fmt_num(*last)
            );
        }
    }
    out.push_str("</svg>");
    out
}

fn placeholder_svg(column: &str, message: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ferrops-drift-hist\" width=\"{SVG_WIDTH}\" \
         height=\"{SVG_HEIGHT}\" viewBox=\"0 0 {SVG_WIDTH} {SVG_HEIGHT}\" role=\"img\" aria-label=\"{col}: {msg}\">\
         <title>{col}: {msg}</title>\
         <rect x=\"1.5\" y=\"1.5\" width=\"{w}\" height=\"{h}\" rx=\"3\" fill=\"none\" stroke=\"currentColor\" \
         stroke-opacity=\"0.35\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" font-size=\"11\" font-family=\"sans-serif\" \
         fill=\"currentColor\" fill-opacity=\"0.7\">{msg}</text></svg>",
        col = escape(column),
        msg = escape(message),
        w = SVG_WIDTH - 3.0,
        h = SVG_HEIGHT - 3.0,
        cx = SVG_WIDTH / 2.0,
        cy = SVG_HEIGHT / 2.0 + 4.0,
    )
}

/// Escape `& < > " '` for HTML text and attribute values; control characters other
/// than tab and newlines (invalid in XML, hence in a standalone SVG) become U+FFFD.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// 4 significant digits; scientific below 1e-4 and from 1e6; `NaN`, `inf`, `-inf`.
fn fmt_num(x: f64) -> String {
    fmt_sig(x, 4)
}

/// `x` with `sig` significant digits, trailing zeros dropped.
fn fmt_sig(x: f64, sig: usize) -> String {
    let sig = sig.max(1);
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let a = x.abs();
    if !(1e-4..1e6).contains(&a) {
        let s = format!("{:.*e}", sig - 1, x);
        return match s.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
            None => s,
        };
    }
    // a in [1e-4, 1e6): the magnitude is in [-4, 5].
    let magnitude = a.log10().floor() as i64;
    let decimals = (sig as i64 - 1 - magnitude).max(0) as usize;
    trim_zeros(&format!("{x:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A share in [0, 1] as a percentage with 3 significant digits (`NaN` / `inf` as such).
fn fmt_pct(share: f64) -> String {
    if share.is_finite() {
        format!("{}%", fmt_sig(share * 100.0, 3))
    } else {
        fmt_num(share)
    }
}

/// A count with thousands separators: `1,234,567`.
fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn test_label(test: DriftTest) -> &'static str {
    TEST_LABELS
        .iter()
        .find(|(t, _)| *t == test)
        .map_or_else(|| test.name(), |(_, label)| label)
}

fn correction_label(correction: Correction) -> &'static str {
    match correction {
        Correction::None => "none",
        Correction::Bonferroni => "Bonferroni",
        Correction::BenjaminiHochberg => "Benjamini-Hochberg",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that every tag is closed in order (a stack of open element names), skipping
    /// `<!...>` declarations, void HTML elements, self-closing tags and `<style>` contents,
    /// and that no raw `<` or `>` appears inside a tag (which escaping must prevent).
    fn assert_balanced(markup: &str) {
        const VOID: [&str; 3] = ["meta", "br", "link"];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = markup;
        while let Some(start) = rest.find('<') {
            rest = &rest[start..];
            if rest.starts_with("<style>") {
                let end = rest.find("</style>").expect("unclosed <style>");
                let css = &rest["<style>".len()..end];
                assert!(!css.contains('<'), "markup inside <style>");
                rest = &rest[end + "</style>".len()..];
                continue;
            }
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[1..end];
            assert!(!tag.contains('<'), "raw '<' inside tag <{tag}>");
            // No data may reach the inside of a tag unquoted (the hostile test names call alert).
            // Outside quoted attribute values, i.e. as attribute names.
            let unquoted: String = tag.split('"').step_by(2).collect();
            assert!(!unquoted.contains("alert"), "data inside tag <{tag}>");
            // Attribute values must not hide a '>' (they would end the tag early): every
            // tag must have balanced double quotes.
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
            rest = &rest[end + 1..];
            if tag.starts_with('!') || tag.starts_with('?') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
                assert_eq!(open, name, "</{name}> closes <{open}>");
                continue;
            }
            let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(!name.is_empty(), "bad tag <{tag}>");
            if tag.ends_with('/') || VOID.contains(&name.as_str()) {
                continue;
            }
            stack.push(name);
        }
        assert!(stack.is_empty(), "unclosed tags {stack:?}");
    }

    /// Every geometric attribute of the SVG is a finite number.
    fn assert_finite_geometry(svg: &str) {
        for attr in ["x", "y", "width", "height", "x1", "y1", "x2", "y2"] {
            let needle = format!(" {attr}=\"");
            for (i, _) in svg.match_indices(&needle) {
                let value = &svg[i + needle.len()..];
                let value = &value[..value.find('"').unwrap()];
                let v: f64 = value
                    .parse()
                    .unwrap_or_else(|_| panic!("{attr}={value:?} is not a number"));
                assert!(v.is_finite() && v >= 0.0, "{attr}={value}");
            }
        }
    }

    fn counts(rows: u64) -> SideCounts {
        SideCounts {
            rows,
            tested: rows,
            ..Default::default()
        }
    }

    fn numeric(name: &str) -> ColumnDrift {
        ColumnDrift {
            column: name.into(),
            kind: "numeric".into(),
            test: DriftTest::Ks,
            status: ColumnStatus::Tested,
            statistic: 0.412_345_6,
            p_value: Some(1.234_56e-9),
            adjusted_p_value: Some(3.7e-9),
            threshold: 0.05,
            drifted: true,
            reference: SideCounts {
                rows: 1_200,
                nulls: 3,
                nan: 2,
                inf: 1,
                tested: 1_194,
            },
            current: counts(1_000),
            notes: vec!["reference from a quantile sketch: statistic within 0.2 % rank error".into()],
            also: vec![],
            histogram: Some(Histogram {
                labels: vec!["[0, 1)".into(), "[1, 2)".into(), "[2, 3)".into(), "[3, 4)".into()],
                edges: vec![0.0, 1.0, 2.0, 3.0, 4.0],
                reference: vec![0.4, 0.3, 0.2, 0.1],
                current: vec![0.1, 0.2, 0.3, 0.4],
            }),
        }
    }

    fn categorical(name: &str, categories: usize) -> ColumnDrift {
        // Shares 1..=k, normalised; reversed on the current side.
        let total: f64 = (1..=categories).map(|i| i as f64).sum();
        let reference: Vec<f64> = (1..=categories).map(|i| i as f64 / total).collect();
        let current: Vec<f64> = reference.iter().rev().copied().collect();
        ColumnDrift {
            column: name.into(),
            kind: "categorical".into(),
            test: DriftTest::Psi,
            status: ColumnStatus::Tested,
            statistic: 0.031_25,
            p_value: None,
            adjusted_p_value: None,
            threshold: 0.1,
            drifted: false,
            reference: counts(500),
            current: counts(400),
            notes: vec![],
            also: vec![],
            histogram: Some(Histogram {
                labels: (0..categories).map(|i| format!("cat{i}")).collect(),
                edges: vec![],
                reference,
                current,
            }),
        }
    }

    fn no_data(name: &str) -> ColumnDrift {
        ColumnDrift {
            column: name.into(),
            kind: "numeric".into(),
            test: DriftTest::Ks,
            status: ColumnStatus::NoData,
            statistic: f64::NAN,
            p_value: None,
            adjusted_p_value: None,
            threshold: 0.05,
            drifted: false,
            reference: counts(100),
            current: SideCounts {
                rows: 10,
                nulls: 10,
                ..Default::default()
            },
            notes: vec!["current side has no testable value".into()],
            also: vec![],
            histogram: None,
        }
    }

    fn constant(name: &str) -> ColumnDrift {
        ColumnDrift {
            column: name.into(),
            kind: "numeric".into(),
            test: DriftTest::WassersteinNormed,
            status: ColumnStatus::Constant,
            statistic: 0.0,
            p_value: None,
            adjusted_p_value: None,
            threshold: 0.1,
            drifted: false,
            reference: counts(100),
            current: counts(90),
            notes: vec![],
            also: vec![],
            histogram: Some(Histogram {
                labels: vec!["[7, 7]".into()],
                edges: vec![7.0, 7.0],
                reference: vec![1.0],
                current: vec![1.0],
            }),
        }
    }

    fn report(columns: Vec<ColumnDrift>) -> DriftReport {
        let drifted = columns.iter().filter(|c| c.drifted).count();
        let share = drifted as f64 / columns.len().max(1) as f64;
        DriftReport {
            columns,
            correction: Correction::BenjaminiHochberg,
            drifted_share: share,
            share_threshold: 0.5,
            dataset_drifted: share >= 0.5,
            reference_rows: 1_200,
            current_rows: 1_000,
            created_at: "2026-11-27T01:00:00Z".into(),
        }
    }

    const HOSTILE: [&str; 3] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "a'b&c",
    ];

    #[test]
    fn numbers_are_formatted_with_four_significant_digits() {
        assert_eq!(fmt_num(0.05), "0.05");
        assert_eq!(fmt_num(0.412_345_6), "0.4123");
        assert_eq!(fmt_num(1234.5678), "1235");
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(-12.3456), "-12.35");
        assert_eq!(fmt_num(9.99995), "10");
        assert_eq!(fmt_num(1.234_56e-9), "1.235e-9");
        assert_eq!(fmt_num(1e-5), "1e-5");
        assert_eq!(fmt_num(0.000_123_46), "0.0001235");
        assert_eq!(fmt_num(123_456_789.0), "1.235e8");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_num(f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt_pct(0.123_45), "12.3%");
        assert_eq!(fmt_pct(1.0), "100%");
        assert_eq!(fmt_pct(0.0), "0%");
        assert_eq!(fmt_pct(f64::NAN), "NaN");
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_000), "1,000");
        assert_eq!(fmt_count(1_234_567), "1,234,567");
    }

    #[test]
    fn escape_covers_the_five_characters_and_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\tc"), "a\u{FFFD}b\tc");
    }

    #[test]
    fn numeric_svg_has_bars_tooltips_and_edges() {
        let svg = numeric("age").histogram_svg().unwrap();
        assert_balanced(&svg);
        assert_finite_geometry(&svg);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("width=\"220\" height=\"70\""));
        // One group per bin: a hit area plus a reference and a current bar.
        assert_eq!(svg.matches("<g>").count(), 4);
        assert_eq!(svg.matches(&format!("fill=\"{REFERENCE_COLOUR}\"")).count(), 4);
        assert_eq!(svg.matches(&format!("fill=\"{CURRENT_COLOUR}\"")).count(), 4);
        assert!(svg.contains("<title>[0, 1): reference 40%, current 10%</title>"));
        assert!(svg.contains("<title>[3, 4): reference 10%, current 40%</title>"));
        // The tallest bar (40 %) spans the plot; the 10 % bar a quarter of it.
        assert!(svg.contains(&format!("height=\"{:.2}\"", PLOT_BASE - PLOT_TOP)));
        assert!(svg.contains(&format!("height=\"{:.2}\"", (PLOT_BASE - PLOT_TOP) / 4.0)));
        assert!(svg.contains(">0</text>") && svg.contains(">4</text>"));
        assert!(!svg.contains("more"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn many_categories_plot_the_top_twenty_and_say_how_many_more() {
        let svg = categorical("city", 25).histogram_svg().unwrap();
        assert_balanced(&svg);
        assert_finite_geometry(&svg);
        assert_eq!(svg.matches("<g>").count(), MAX_CATEGORIES);
        assert!(svg.contains("+5 more</text>"), "{svg}");
        // Reference shares rise with the index, current ones fall: the max share is
        // largest at both ends, so the 5 middle categories (10..=14) are dropped.
        for i in (0..10).chain(15..25) {
            assert!(svg.contains(&format!("<title>cat{i}: ")), "cat{i} missing");
        }
        for i in 10..15 {
            assert!(!svg.contains(&format!("<title>cat{i}: ")), "cat{i} shown");
        }
        // Shown in the original order.
        let first = svg.find("<title>cat0: ").unwrap();
        let last = svg.find("<title>cat24: ").unwrap();
        assert!(first < last);
        // The hidden shares: categories 11..=15 of 325 on both sides = 65/325 = 20 %.
        assert!(svg.contains("<title>5 more categories: reference 20%, current 20%</title>"));

        // Twenty categories: no truncation.
        let svg = categorical("city", 20).histogram_svg().unwrap();
        assert_eq!(svg.matches("<g>").count(), 20);
        assert!(!svg.contains("more"));
        // Many numeric bins are never dropped.
        let mut wide = numeric("x");
        let k = 40;
        wide.histogram = Some(Histogram {
            labels: (0..k).map(|i| format!("[{i}, {})", i + 1)).collect(),
            edges: (0..=k).map(f64::from).collect(),
            reference: vec![1.0 / f64::from(k); k as usize],
            current: vec![1.0 / f64::from(k); k as usize],
        });
        let svg = wide.histogram_svg().unwrap();
        assert_balanced(&svg);
        assert_finite_geometry(&svg);
        assert_eq!(svg.matches("<g>").count(), 40);
    }

    #[test]
    fn nan_and_inf_shares_never_break_the_svg() {
        let mut c = categorical("c", 4);
        let h = c.histogram.as_mut().unwrap();
        h.reference = vec![f64::NAN, 0.5, f64::INFINITY, 0.5];
        h.current = vec![0.25, f64::NAN, 0.25, f64::NEG_INFINITY];
        let svg = c.histogram_svg().unwrap();
        assert_balanced(&svg);
        assert_finite_geometry(&svg);
        assert!(!svg.contains("NaN\""), "NaN in an attribute: {svg}");
        assert!(svg.contains("<title>cat0: reference NaN, current 25%</title>"));
        assert!(svg.contains("<title>cat2: reference inf, current 25%</title>"));
        assert!(svg.contains("<title>cat3: reference 50%, current -inf</title>"));

        // Non-finite numeric edges are written as text.
        let mut n = numeric("n");
        n.histogram.as_mut().unwrap().edges = vec![f64::NEG_INFINITY, 1.0, 2.0, 3.0, f64::INFINITY];
        let svg = n.histogram_svg().unwrap();
        assert_balanced(&svg);
        assert!(svg.contains(">-inf</text>") && svg.contains(">inf</text>"));

        // Shares shorter than labels: missing shares count as NaN, not a panic.
        let mut short = categorical("s", 3);
        short.histogram.as_mut().unwrap().current = vec![1.0];
        let svg = short.histogram_svg().unwrap();
        assert_balanced(&svg);
        assert!(svg.contains("<title>cat2: reference 50%, current NaN</title>"));
    }

    #[test]
    fn empty_or_all_zero_histograms_give_a_no_data_placeholder() {
        assert_eq!(no_data("x").histogram_svg(), None);
        let mut c = categorical("empty", 3);
        c.histogram = Some(Histogram {
            labels: vec![],
            edges: vec![],
            reference: vec![],
            current: vec![],
        });
        let svg = c.histogram_svg().unwrap();
        assert_balanced(&svg);
        assert!(svg.contains(">no data</text>"));
        assert!(!svg.contains("<g>"));

        for (reference, current) in [
            (vec![0.0, 0.0], vec![0.0, 0.0]),
            (vec![f64::NAN; 2], vec![0.0, 0.0]),
        ] {
            let mut c = categorical("zero", 2);
            let h = c.histogram.as_mut().unwrap();
            h.reference = reference;
            h.current = current;
            let svg = c.histogram_svg().unwrap();
            assert_balanced(&svg);
            assert_finite_geometry(&svg);
            assert!(svg.contains(">no data</text>"));
        }

        // One empty side, one with data: the bars are drawn.
        let mut c = categorical("one side", 2);
        c.histogram.as_mut().unwrap().current = vec![0.0, 0.0];
        let svg = c.histogram_svg().unwrap();
        assert_eq!(svg.matches("<g>").count(), 2);
        assert!(svg.contains("current 0%"));
    }

    #[test]
    fn hostile_names_labels_and_notes_appear_as_text() {
        let mut columns = Vec::new();
        for (i, hostile) in HOSTILE.iter().enumerate() {
            let mut c = categorical(hostile, 3);
            c.drifted = i == 0;
            c.kind = (*hostile).to_string();
            c.notes = vec![(*hostile).to_string()];
            c.histogram.as_mut().unwrap().labels = vec![(*hostile).to_string(), "b".into(), "c".into()];
            columns.push(c);
        }
        let mut r = report(columns);
        r.created_at = HOSTILE[1].to_string();
        for markup in [
            r.to_html(),
            r.to_html_document(),
            r.columns[0].histogram_svg().unwrap(),
            r.columns[1].histogram_svg().unwrap(),
        ] {
            assert_balanced(&markup);
            assert!(!markup.contains("<script"), "{markup}");
            assert!(!markup.contains("<img"), "{markup}");
            assert!(!markup.contains("a'b"));
        }
        let html = r.to_html();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("a&#39;b&amp;c"));
        // In the summary line, the table cell, the notes and the SVG labels.
        assert!(html.matches("&lt;script&gt;alert(1)&lt;/script&gt;").count() >= 4);
        let svg = r.columns[1].histogram_svg().unwrap();
        assert!(svg.contains("aria-label=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;: "));
    }

    #[test]
    fn html_shows_header_rows_badges_counts_and_svgs_in_report_order() {
        let columns = vec![
            categorical("city", 25),
            numeric("age"),
            no_data("empty_col"),
            constant("const_col"),
        ];
        let r = report(columns);
        let html = r.to_html();
        assert_balanced(&html);
        assert!(html.starts_with("<div class=\"ferrops-drift\"><style>"));
        // Header.
        assert!(html.contains("ferrops-drift-badge-ok\">no dataset drift</span>"));
        assert!(html.contains("1 of 4 columns drifted; drifted share 25% (dataset drift at ≥ 50%)"));
        assert!(html.contains("reference 1,200 rows · current 1,000 rows · correction: Benjamini-Hochberg"));
        assert!(html.contains("created 2026-11-27T01:00:00Z"));
        assert!(html.contains("Drifted columns (1): <b>age</b>."));
        // Report order kept.
        let pos = |s: &str| html.find(&format!("<td><b>{s}</b></td>")).unwrap();
        assert!(
            pos("city") < pos("age") && pos("age") < pos("empty_col") && pos("empty_col") < pos("const_col")
        );
        assert_eq!(html.matches("<tr class=\"ferrops-drift-row-drift\">").count(), 1);
        // Verdict badges.
        for (class, label) in [
            ("drift", "drift"),
            ("ok", "no drift"),
            ("none", "no data"),
            ("none", "constant"),
        ] {
            assert!(
                html.contains(&format!("ferrops-drift-badge-{class}\">{label}</span>")),
                "{label}"
            );
        }
        // Numbers: statistic, p-values, thresholds.
        assert!(html.contains(">0.4123</td>"));
        assert!(html.contains(">1.235e-9</td>"));
        assert!(html.contains(">3.7e-9</td>"));
        assert!(html.contains("<td>p &lt; 0.05</td>"));
        assert!(html.contains("<td>≥ 0.1</td>"));
        assert!(html.contains("<td title=\"ks\">Kolmogorov-Smirnov</td>"));
        assert!(html.contains("<td title=\"psi\">PSI</td>"));
        // No data: statistic and p-values as dashes, no SVG.
        let row = &html[pos("empty_col")..pos("const_col")];
        assert_eq!(row.matches(">—</td>").count(), 3, "{row}");
        assert!(row.contains("<span class=\"ferrops-drift-muted\">—</span>"));
        assert!(row.contains("current side has no testable value"));
        assert!(row.contains("10 rows<span class=\"ferrops-drift-sub\">10 null · 0 tested</span>"));
        // Counts with nulls, NaN, inf.
        assert!(html.contains(
            "1,200 rows<span class=\"ferrops-drift-sub\">3 null · 2 NaN · 1 inf · 1,194 tested</span>"
        ));
        assert!(html.contains(">1,000 rows</td>"));
        // Every column with a histogram has its SVG, and the truncation shows.
        assert_eq!(html.matches("<svg ").count(), 3);
        assert!(html.contains("+5 more"));
        assert!(html.contains("quantile sketch"));
        // A tested column with a NaN statistic says so.
        let mut odd = numeric("odd");
        odd.statistic = f64::NAN;
        assert!(report(vec![odd]).to_html().contains(">NaN</td>"));
    }

    #[test]
    fn dataset_drift_and_empty_reports() {
        let mut r = report(vec![numeric("a"), numeric("b")]);
        r.correction = Correction::None;
        let html = r.to_html();
        assert_balanced(&html);
        assert!(html.contains("ferrops-drift-badge-drift\">dataset drift</span>"));
        assert!(html.contains("Drifted columns (2): <b>a</b>, <b>b</b>."));
        assert!(html.contains("correction: none"));

        let empty = report(vec![]);
        let html = empty.to_html();
        assert_balanced(&html);
        assert!(html.contains("No column was compared."));
        assert!(html.contains("No column drifted."));
        assert!(!html.contains("<table"));
    }

    #[test]
    fn document_is_standalone_html5() {
        let r = report(vec![numeric("age"), categorical("city", 3)]);
        let doc = r.to_html_document();
        assert_balanced(&doc);
        assert!(doc.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(doc.contains("<meta charset=\"utf-8\">"));
        assert!(doc.contains("<title>Drift report 2026-11-27T01:00:00Z</title>"));
        assert!(doc.contains(&r.to_html()));
        assert!(doc.trim_end().ends_with("</html>"));
        for external in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!doc.contains(external), "{external}");
        }
    }

    #[test]
    fn save_html_round_trips_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        let r = report(vec![
            numeric("age"),
            categorical("city", 25),
            no_data("e"),
            constant("k"),
        ]);
        r.save_html(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), r.to_html_document());
        // Saving again replaces the file.
        let r2 = report(vec![constant("only")]);
        r2.save_html(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), r2.to_html_document());
        // Nothing but the report is left in the directory.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["report.html"]);
        if let Ok(out) = std::env::var("FERROPS_DRIFT_EXAMPLE") {
            r.save_html(out).unwrap();
        }
    }

    #[test]
    fn failed_save_is_an_io_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let r = report(vec![numeric("age")]);
        let missing = dir.path().join("missing").join("report.html");
        match r.save_html(&missing) {
            Err(Error::Io { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected Error::Io, got {other:?}"),
        }
        assert!(!dir.path().join("missing").exists());
        // The target is a directory: the rename fails and the temporary file is removed.
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), "x").unwrap();
        let err = r.save_html(&target).unwrap_err();
        assert!(
            matches!(err, Error::Io { ref path, .. } if *path == target),
            "{err}"
        );
        assert!(err.to_string().contains("taken"), "{err}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["taken"]);
        // No file name at all.
        assert!(matches!(
            r.save_html(dir.path().join("..")),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
