//! CSV image files: a header line whose first column is `label`, then one pixel column per input
//! dimension; every following line is one image (an integer label in 0..=255, then D numbers).
//! Example: `data/digits.csv` (1797 images of 8 x 8 digits, pixel values 0..16, D = 64).

use std::path::Path;

use faer::Mat;

use super::Dataset;
use crate::error::{Error, Result};

/// Reads a CSV image file, keeping the classes in `keep`.
pub fn read(path: &Path, keep: Option<&[u8]>) -> Result<Dataset> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::input(format!("cannot read {}: {e}", path.display())))?;
    parse(&text, &path.display().to_string(), keep)
}

/// Parses CSV text (`name` is used in messages).
pub fn parse(text: &str, name: &str, keep: Option<&[u8]>) -> Result<Dataset> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| Error::input(format!("{name}: empty file")))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns[0] != "label" {
        return Err(Error::input(format!("{name}: the header's first column must be `label` (got {:?})", columns[0])));
    }
    let d = columns.len() - 1;
    if d == 0 {
        return Err(Error::input(format!("{name}: the header names no pixel columns")));
    }
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != d + 1 {
            return Err(Error::input(format!(
                "{name}: line {line_no} has {} fields, the header has {}",
                fields.len(),
                d + 1
            )));
        }
        let label: u8 = fields[0].parse().map_err(|_| {
            Error::input(format!("{name}: line {line_no}: label {:?} is not an integer in 0..=255", fields[0]))
        })?;
        if keep.is_some_and(|k| !k.contains(&label)) {
            continue;
        }
        for (j, f) in fields[1..].iter().enumerate() {
            let v: f64 = f.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                Error::input(format!("{name}: line {line_no}, column {}: {f:?} is not a finite number", columns[j + 1]))
            })?;
            pixels.push(v);
        }
        labels.push(label);
    }
    let images = Mat::from_fn(labels.len(), d, |i, j| pixels[i * d + j]);
    Ok(Dataset { images, labels, name: name.to_string() })
}
