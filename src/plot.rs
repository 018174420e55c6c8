//! SVG figures (plotters, SVG backend only): heat maps with contours and simulated points on top
//! (phase diagrams), and curves with error bars. Callers compute every number; this module only draws.

use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// One axis: label (with units where they exist) and range; logarithmic, or categorical with
/// `names[i]` at position i.
#[derive(Clone, Debug)]
pub struct Axis {
    pub label: String,
    pub min: f64,
    pub max: f64,
    pub log: bool,
    pub names: Vec<String>,
}

impl Axis {
    pub fn new(label: impl Into<String>, min: f64, max: f64) -> Self {
        Axis { label: label.into(), min, max, log: false, names: Vec::new() }
    }

    /// The same axis on a logarithmic scale (needs min > 0).
    pub fn logarithmic(self) -> Self {
        Axis { log: true, ..self }
    }

    /// A categorical axis: `names[i]` at position i, each clipped to its share of 700 px (13 px
    /// sans-serif: about 7 px per character).
    pub fn named(label: impl Into<String>, names: Vec<String>) -> Self {
        let n = names.len() as f64;
        let room = ((700.0 / n.max(1.0) / 7.0) as usize).max(4);
        let clip = |s: String| {
            if s.chars().count() <= room { s } else { s.chars().take(room - 1).collect::<String>() + "…" }
        };
        let names: Vec<String> = names.into_iter().map(clip).collect();
        Axis { names, ..Axis::new(label, -0.5, n - 0.5) }
    }

    /// The tick label at `v`: the name at an integer position of a categorical axis, else the number
    /// (0 within a millionth of the range of 0).
    fn tick(&self, v: f64) -> String {
        if self.names.is_empty() {
            let v = if !self.log && v.abs() < 1e-6 * (self.max - self.min).abs() { 0.0 } else { v };
            return tick_number(v);
        }
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 {
            String::new()
        } else {
            self.names.get(i as usize).cloned().unwrap_or_default()
        }
    }
}

/// Ticks of a logarithmic axis: powers of ten, with their 2 and 5 multiples over at most three
/// decades (and 3 over less than one); the ends when fewer than two fall inside.
fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    let (a, b) = (min.log10().floor() as i32, max.log10().ceil() as i32);
    let mults: &[f64] = match b - a {
        ..=1 => &[1.0, 2.0, 3.0, 5.0],
        2..=3 => &[1.0, 2.0, 5.0],
        _ => &[1.0],
    };
    let every = ((b - a) / 8 + 1) as usize;
    let ticks: Vec<f64> = (a..=b)
        .step_by(every)
        .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|t| (min..=max).contains(t))
        .collect();
    if ticks.len() >= 2 { ticks } else { vec![min, max] }
}

/// A tick number in at most about 7 characters: fixed point trimmed of trailing zeros, scientific
/// for very large or small magnitudes.
fn tick_number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}").replace(".0e", "e");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.to_string() }
}

/// Colour scale of a heat map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Blue (negative) - white (0) - red (positive), symmetric about 0: signed gains.
    Diverging,
    /// Dark to light over [min, max]: errors, losses.
    Sequential,
}

/// Values on a rectangular grid of cell centres: `values[iy * xs.len() + ix]` at `(xs[ix], ys[iy])`.
/// Non-finite values are drawn grey ("not defined").
#[derive(Clone, Debug)]
pub struct HeatMap {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub values: Vec<f64>,
    /// Meaning of the colour, shown above the colour bar.
    pub label: String,
    pub scale: Scale,
}

/// A polyline (e.g. a printed or a computed contour, or a closed-form curve); an empty label
/// leaves it out of the legend (e.g. further branches of one contour).
#[derive(Clone, Debug)]
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// Simulated points with vertical error bars (y +- err).
#[derive(Clone, Debug)]
pub struct Points {
    pub label: String,
    pub points: Vec<(f64, f64, f64)>,
}

/// A figure: title (one line per line of text), axes, an optional heat map underneath, then curves
/// and points, with a legend below the plot.
#[derive(Clone, Debug)]
pub struct Figure {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub heat: Option<HeatMap>,
    pub curves: Vec<Curve>,
    pub points: Vec<Points>,
    /// Palette index of each points series (e.g. that of the curve it belongs to); empty: the
    /// colours after the curves'.
    pub point_colours: Vec<usize>,
}

/// The palette, by index: black, orange, green, purple, blue, red.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 120, 0),
    RGBColor(0, 140, 70),
    RGBColor(150, 0, 170),
    RGBColor(0, 90, 200),
    RGBColor(200, 0, 0),
];

/// Validates the figure: finite, non-empty axis ranges and a heat map whose size matches its grid.
fn validate(fig: &Figure) -> Result<()> {
    for axis in [&fig.x, &fig.y] {
        if !(axis.min.is_finite() && axis.max.is_finite() && axis.max > axis.min) {
            return Err(Error::input(format!("plot axis '{}' needs finite min < max", axis.label)));
        }
        if axis.log && axis.min <= 0.0 {
            return Err(Error::input(format!("logarithmic plot axis '{}' needs min > 0", axis.label)));
        }
    }
    if let Some(h) = &fig.heat
        && (h.xs.is_empty() || h.ys.is_empty() || h.values.len() != h.xs.len() * h.ys.len())
    {
        return Err(Error::input("heat map values do not match its grid"));
    }
    Ok(())
}

/// Edges of the cells around sorted centres (midpoints, outer cells mirrored).
fn edges(centres: &[f64]) -> Vec<f64> {
    let n = centres.len();
    if n == 1 {
        return vec![centres[0] - 0.5, centres[0] + 0.5];
    }
    let mut e = Vec::with_capacity(n + 1);
    e.push(centres[0] - (centres[1] - centres[0]) / 2.0);
    for w in centres.windows(2) {
        e.push((w[0] + w[1]) / 2.0);
    }
    e.push(centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2.0);
    e
}

/// Colour of value `v` on `scale`, with `lo..hi` the value range (symmetric for Diverging).
fn colour(v: f64, lo: f64, hi: f64, scale: Scale) -> RGBColor {
    if !v.is_finite() {
        return RGBColor(170, 170, 170);
    }
    let lerp = |a: (f64, f64, f64), b: (f64, f64, f64), t: f64| {
        let t = t.clamp(0.0, 1.0);
        let c = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
        RGBColor(c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    };
    match scale {
        Scale::Diverging => {
            let m = hi.abs().max(lo.abs()).max(f64::MIN_POSITIVE);
            let t = v / m;
            if t >= 0.0 {
                lerp((255.0, 255.0, 255.0), (180.0, 20.0, 30.0), t)
            } else {
                lerp((255.0, 255.0, 255.0), (30.0, 70.0, 170.0), -t)
            }
        }
        Scale::Sequential => {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            if t < 0.5 {
                lerp((40.0, 20.0, 90.0), (30.0, 150.0, 140.0), 2.0 * t)
            } else {
                lerp((30.0, 150.0, 140.0), (250.0, 230.0, 80.0), 2.0 * t - 1.0)
            }
        }
    }
}

fn finite_range(values: &[f64]) -> (f64, f64) {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// Draws `fig` to an SVG file at `path` (800 x 600 px, plus a colour bar when there is a heat map).
pub fn write_svg(fig: &Figure, path: &Path) -> Result<()> {
    write_panels_svg(std::slice::from_ref(fig), path)
}

/// Draws the figures side by side as panels of one SVG file at `path` (each as in [`write_svg`]).
pub fn write_panels_svg(figs: &[Figure], path: &Path) -> Result<()> {
    let text = panels_svg(figs)?;
    std::fs::write(path, text).map_err(|source| Error::Io { path: path.display().to_string(), source })
}

/// The figures side by side as panels of one SVG document, in memory (each as in [`write_svg`]).
pub fn panels_svg(figs: &[Figure]) -> Result<String> {
    if figs.is_empty() {
        return Err(Error::input("a plot needs at least one figure"));
    }
    figs.iter().try_for_each(validate)?;
    let err = |e: DrawingAreaErrorKind<std::io::Error>| Error::numerical(format!("drawing a figure: {e}"));
    let widths: Vec<u32> = figs.iter().map(|f| if f.heat.is_some() { 900 } else { 800 }).collect();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (widths.iter().sum(), 600)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut rest = root.clone();
        for (fig, &w) in figs.iter().zip(&widths) {
            let (panel, right) = rest.split_horizontally(w);
            draw(fig, &panel).map_err(err)?;
            rest = right;
        }
        root.present().map_err(err)?;
    }
    Ok(text)
}

type Area<DB> = DrawingArea<DB, plotters::coord::Shift>;
type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Height of one title or legend line, px.
const LINE: i32 = 20;

/// Draws one figure on `area`: title lines on top, the plot in the left 800 px with the legend below
/// it, the colour bar of a heat map right of it.
fn draw<DB: DrawingBackend>(fig: &Figure, area: &Area<DB>) -> Drawn<DB> {
    let (main, bar) = area.split_horizontally(800);
    let lines = title_lines(&fig.title);
    let (head, body) = main.split_vertically(8 + LINE * lines.len() as i32);
    for (i, (line, size)) in lines.iter().enumerate() {
        let style = TextStyle::from(("sans-serif", *size).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        head.draw(&Text::new(line.clone(), (400, 6 + LINE * i as i32), style))?;
    }
    let entries = legend_entries(fig);
    let rows = legend_rows(&entries);
    let legend_h = if entries.is_empty() { 0 } else { 8 + LINE * (rows.last().map_or(0, |r| r.0) + 1) };
    let (plot, legend) = body.split_vertically(body.dim_in_pixel().1 as i32 - legend_h);
    let mut builder = ChartBuilder::on(&plot);
    builder.margin(10).margin_right(28).x_label_area_size(48).y_label_area_size(78);
    let (x, y) = (fig.x.min..fig.x.max, fig.y.min..fig.y.max);
    let log = |a: &Axis| (a.min..a.max).log_scale().with_key_points(log_ticks(a.min, a.max));
    match (fig.x.log, fig.y.log) {
        (false, false) => series(builder.build_cartesian_2d(x, y)?, fig)?,
        (true, false) => series(builder.build_cartesian_2d(log(&fig.x), y)?, fig)?,
        (false, true) => series(builder.build_cartesian_2d(x, log(&fig.y))?, fig)?,
        (true, true) => series(builder.build_cartesian_2d(log(&fig.x), log(&fig.y))?, fig)?,
    }
    draw_legend(&legend, &entries, &rows)?;
    if let Some(h) = &fig.heat {
        let (lo, hi) = finite_range(&h.values);
        draw_colour_bar(&bar, h, lo, hi)?;
    }
    Ok(())
}

/// The title's lines with their font sizes (the first 17 px, the others 14 px), each wrapped at
/// spaces to fit 780 px (sans-serif: about 0.55 em per character).
fn title_lines(title: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (i, line) in title.lines().enumerate() {
        let size = if i == 0 { 17.0 } else { 14.0 };
        let room = (780.0 / (0.55 * size)) as usize;
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > room {
                out.push((std::mem::take(&mut current), size));
            }
            current = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        }
        out.push((current, size));
    }
    out
}

/// The mesh, heat map, curves and points of `fig` on its chart (linear or logarithmic axes).
fn series<DB, X, Y>(mut chart: ChartContext<'_, DB, Cartesian2d<X, Y>>, fig: &Figure) -> Drawn<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (fx, fy) = (|v: &f64| fig.x.tick(*v), |v: &f64| fig.y.tick(*v));
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_desc(fig.x.label.as_str())
        .y_desc(fig.y.label.as_str())
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .x_label_formatter(&fx)
        .y_label_formatter(&fy);
    if !fig.x.names.is_empty() {
        mesh.x_labels(fig.x.names.len());
    }
    mesh.draw()?;
    if let Some(h) = &fig.heat {
        let (lo, hi) = finite_range(&h.values);
        let (ex, ey) = (edges(&h.xs), edges(&h.ys));
        let cells = (0..h.ys.len()).flat_map(|iy| (0..h.xs.len()).map(move |ix| (ix, iy)));
        chart.draw_series(cells.map(|(ix, iy)| {
            let v = h.values[iy * h.xs.len() + ix];
            Rectangle::new([(ex[ix], ey[iy]), (ex[ix + 1], ey[iy + 1])], colour(v, lo, hi, h.scale).filled())
        }))?;
    }
    for (i, c) in fig.curves.iter().enumerate() {
        let style = PALETTE[i % PALETTE.len()].stroke_width(2);
        let pieces = if c.dashed { dashed(&c.points) } else { vec![c.points.clone()] };
        for piece in pieces {
            chart.draw_series(LineSeries::new(piece, style))?;
        }
    }
    for (i, p) in fig.points.iter().enumerate() {
        let col = points_colour(fig, i);
        chart.draw_series(
            p.points.iter().map(|&(x, y, e)| ErrorBar::new_vertical(x, y - e, y, y + e, col.stroke_width(1), 6)),
        )?;
        chart.draw_series(p.points.iter().map(|&(x, y, _)| Circle::new((x, y), 3, col.filled())))?;
    }
    Ok(())
}

fn points_colour(fig: &Figure, i: usize) -> RGBColor {
    let k = fig.point_colours.get(i).copied().unwrap_or(fig.curves.len() + i);
    PALETTE[k % PALETTE.len()]
}

/// How a legend entry is marked.
enum Marker {
    /// A line, dashed or not.
    Line(bool),
    Dot,
    /// A swatch of the heat map's colour scale.
    Scale(Scale),
}

/// A legend entry: its label, colour and marker.
struct Entry<'a> {
    label: &'a str,
    colour: RGBColor,
    marker: Marker,
}

fn legend_entries(fig: &Figure) -> Vec<Entry<'_>> {
    let curves = fig.curves.iter().enumerate().filter(|(_, c)| !c.label.is_empty()).map(|(i, c)| Entry {
        label: &c.label,
        colour: PALETTE[i % PALETTE.len()],
        marker: Marker::Line(c.dashed),
    });
    let points = fig.points.iter().enumerate().filter(|(_, p)| !p.label.is_empty()).map(|(i, p)| Entry {
        label: &p.label,
        colour: points_colour(fig, i),
        marker: Marker::Dot,
    });
    let heat = fig.heat.iter().map(|h| Entry { label: &h.label, colour: BLACK, marker: Marker::Scale(h.scale) });
    heat.chain(curves).chain(points).collect()
}

/// (row, x offset in px) of each legend entry, filling rows left to right within 780 px
/// (13 px sans-serif: about 7 px per character).
fn legend_rows(entries: &[Entry]) -> Vec<(i32, i32)> {
    let (mut row, mut x) = (0, 20);
    entries
        .iter()
        .map(|e| {
            let w = 36 + 7 * e.label.chars().count() as i32 + 18;
            if x > 20 && x + w > 780 {
                (row, x) = (row + 1, 20);
            }
            x += w;
            (row, x - w)
        })
        .collect()
}

fn draw_legend<DB: DrawingBackend>(area: &Area<DB>, entries: &[Entry], rows: &[(i32, i32)]) -> Drawn<DB> {
    for (e, &(row, x)) in entries.iter().zip(rows) {
        let y = 4 + LINE * row + LINE / 2;
        match e.marker {
            Marker::Line(dashed) => {
                let style = e.colour.stroke_width(2);
                let segments: Vec<(i32, i32)> = if dashed { vec![(0, 8), (14, 22)] } else { vec![(0, 24)] };
                for (a, b) in segments {
                    area.draw(&PathElement::new(vec![(x + a, y), (x + b, y)], style))?;
                }
            }
            Marker::Dot => area.draw(&Circle::new((x + 12, y), 4, e.colour.filled()))?,
            Marker::Scale(scale) => {
                for i in 0..24 {
                    let c = colour(i as f64 / 23.0 * 2.0 - 1.0, -1.0, 1.0, scale);
                    area.draw(&Rectangle::new([(x + i, y - 6), (x + i + 1, y + 6)], c.filled()))?;
                }
            }
        }
        let style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(e.label.to_string(), (x + 32, y), style))?;
    }
    Ok(())
}

/// Splits a polyline into short dashes (in data units, 1/60 of its length each).
fn dashed(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    points.windows(2).enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, w)| w.to_vec()).collect()
}

fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    h: &HeatMap,
    lo: f64,
    hi: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (lo, hi) = match h.scale {
        Scale::Diverging => {
            let m = lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE);
            (-m, m)
        }
        Scale::Sequential if hi > lo => (lo, hi),
        Scale::Sequential => (lo - 0.5, lo + 0.5),
    };
    // The bar spans the plot's height; its label is in the legend below the plot.
    let mut chart = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(100)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let tick = |v: &f64| tick_number(if v.abs() < 1e-9 * (hi - lo) { 0.0 } else { *v });
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .label_style(("sans-serif", 12))
        .y_label_formatter(&tick)
        .draw()?;
    let steps = 100;
    chart.draw_series((0..steps).map(|i| {
        let a = lo + (hi - lo) * i as f64 / steps as f64;
        let b = lo + (hi - lo) * (i + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0, lo, hi, h.scale).filled())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_heat_map_with_contour_points_and_legend() {
        let dir = std::env::temp_dir().join(format!("tlcheck-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fig.svg");
        let xs: Vec<f64> = (0..5).map(|i| i as f64 / 4.0).collect();
        let values = (0..25).map(|k| (k % 5) as f64 - (k / 5) as f64).collect();
        let fig = Figure {
            title: "test".into(),
            x: Axis::new("nu2 (P2/D)", 0.0, 1.0),
            y: Axis::new("gamma1", 0.0, 1.0),
            heat: Some(HeatMap { xs: xs.clone(), ys: xs, values, label: "gain".into(), scale: Scale::Diverging }),
            curves: vec![Curve { label: "zero contour".into(), points: vec![(0.0, 0.0), (1.0, 1.0)], dashed: true }],
            points: vec![Points { label: "simulated".into(), points: vec![(0.5, 0.5, 0.1)] }],
            point_colours: Vec::new(),
        };
        write_svg(&fig, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for text in ["nu2 (P2/D)", "gamma1", "zero contour", "simulated", "gain"] {
            assert!(svg.contains(text), "missing {text}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_empty_ranges_and_mismatched_grids() {
        let mut fig = Figure {
            title: String::new(),
            x: Axis::new("x", 1.0, 1.0),
            y: Axis::new("y", 0.0, 1.0),
            heat: None,
            curves: vec![],
            points: vec![],
            point_colours: Vec::new(),
        };
        assert!(write_svg(&fig, Path::new("/nonexistent/x.svg")).is_err());
        fig.x.max = 2.0;
        fig.heat = Some(HeatMap {
            xs: vec![1.0],
            ys: vec![1.0],
            values: vec![],
            label: String::new(),
            scale: Scale::Sequential,
        });
        assert!(validate(&fig).is_err());
    }
}
