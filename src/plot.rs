//! SVG figures (plotters, SVG backend only): heat maps with contours and simulated points on top
//! (phase diagrams), and curves with error bars. Callers compute every number; this module only draws.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};

/// One axis: label (with units where they exist) and range.
#[derive(Clone, Debug)]
pub struct Axis {
    pub label: String,
    pub min: f64,
    pub max: f64,
}

impl Axis {
    pub fn new(label: impl Into<String>, min: f64, max: f64) -> Self {
        Axis { label: label.into(), min, max }
    }
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

/// A figure: title, axes, an optional heat map underneath, then curves and points with a legend.
#[derive(Clone, Debug)]
pub struct Figure {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub heat: Option<HeatMap>,
    pub curves: Vec<Curve>,
    pub points: Vec<Points>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 120, 0),
    RGBColor(0, 140, 70),
    RGBColor(150, 0, 170),
    RGBColor(0, 90, 200),
    RGBColor(200, 0, 0),
];

fn plot_err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Io { path: path.display().to_string(), source: std::io::Error::other(e.to_string()) }
}

/// Validates the figure: finite, non-empty axis ranges and a heat map whose size matches its grid.
fn validate(fig: &Figure) -> Result<()> {
    for axis in [&fig.x, &fig.y] {
        if !(axis.min.is_finite() && axis.max.is_finite() && axis.max > axis.min) {
            return Err(Error::input(format!("plot axis '{}' needs finite min < max", axis.label)));
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
    if figs.is_empty() {
        return Err(Error::input("a plot needs at least one figure"));
    }
    figs.iter().try_for_each(validate)?;
    let err = plot_err(path);
    let widths: Vec<u32> = figs.iter().map(|f| if f.heat.is_some() { 900 } else { 800 }).collect();
    let root = SVGBackend::new(path, (widths.iter().sum(), 600)).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let mut rest = root.clone();
    for (fig, &w) in figs.iter().zip(&widths) {
        let (panel, right) = rest.split_horizontally(w);
        draw(fig, &panel).map_err(&err)?;
        rest = right;
    }
    root.present().map_err(&err)?;
    Ok(())
}

/// Draws one figure on `area` (its plot in the left 800 px, the colour bar of a heat map right of it).
fn draw<DB: DrawingBackend>(
    fig: &Figure,
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (main, bar) = area.split_horizontally(800);
    let mut chart = ChartBuilder::on(&main)
        .caption(&fig.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(fig.x.min..fig.x.max, fig.y.min..fig.y.max)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(fig.x.label.as_str())
        .y_desc(fig.y.label.as_str())
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    if let Some(h) = &fig.heat {
        let (lo, hi) = finite_range(&h.values);
        let (ex, ey) = (edges(&h.xs), edges(&h.ys));
        let cells = (0..h.ys.len()).flat_map(|iy| (0..h.xs.len()).map(move |ix| (ix, iy)));
        chart.draw_series(cells.map(|(ix, iy)| {
            let v = h.values[iy * h.xs.len() + ix];
            Rectangle::new([(ex[ix], ey[iy]), (ex[ix + 1], ey[iy + 1])], colour(v, lo, hi, h.scale).filled())
        }))?;
        draw_colour_bar(&bar, h, lo, hi)?;
    }
    for (i, c) in fig.curves.iter().enumerate() {
        let style = PALETTE[i % PALETTE.len()].stroke_width(2);
        let series = if c.dashed { dashed(&c.points) } else { vec![c.points.clone()] };
        let mut first = true;
        for piece in series {
            let drawn = chart.draw_series(LineSeries::new(piece, style))?;
            if first && !c.label.is_empty() {
                drawn.label(c.label.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                first = false;
            }
        }
    }
    for (i, p) in fig.points.iter().enumerate() {
        let col = PALETTE[(fig.curves.len() + i) % PALETTE.len()];
        chart.draw_series(
            p.points.iter().map(|&(x, y, e)| ErrorBar::new_vertical(x, y - e, y, y + e, col.stroke_width(1), 6)),
        )?;
        chart
            .draw_series(p.points.iter().map(|&(x, y, _)| Circle::new((x, y), 3, col.filled())))?
            .label(p.label.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, col.filled()));
    }
    if !fig.curves.is_empty() || !fig.points.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
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
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(57)
        .margin_right(10)
        .caption(&h.label, ("sans-serif", 13))
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    chart.configure_mesh().disable_mesh().disable_x_axis().y_labels(6).draw()?;
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
