//! CIFAR-10 binary format: each record is 1 label byte (0..=9) followed by 3072 pixel bytes, the
//! 1024 red, then 1024 green, then 1024 blue values of a 32 x 32 image in row-major order. A directory
//! holds `data_batch_1.bin` .. `data_batch_5.bin` and `test_batch.bin` (10000 records each); the ones
//! present are read in that order.
//!
//! Pixels become one grey value per pixel by the ITU-R BT.601 luma weights,
//! grey = 0.299 R + 0.587 G + 0.114 B (values 0..255), so D = 1024.

use std::path::Path;

use faer::Mat;

use super::Dataset;
use crate::error::{Error, Result};

/// Bytes per record: label + 3 x 1024 pixels.
pub const RECORD: usize = 1 + 3 * PIXELS;
/// Pixels per channel (32 x 32).
pub const PIXELS: usize = 1024;
/// Grey-scale weights of (R, G, B).
pub const LUMA: [f64; 3] = [0.299, 0.587, 0.114];
/// The batch files of a CIFAR-10 directory, in reading order.
pub const BATCHES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];

/// Reads every batch file present in `dir` (at least one must be), keeping the classes in `keep`.
pub fn read_dir(dir: &Path, keep: Option<&[u8]>) -> Result<Dataset> {
    let files: Vec<_> = BATCHES.iter().map(|b| dir.join(b)).filter(|p| p.is_file()).collect();
    if files.is_empty() {
        return Err(Error::input(format!(
            "data directory {} holds none of the CIFAR-10 files {}",
            dir.display(),
            BATCHES.join(", ")
        )));
    }
    let mut grey = Vec::new();
    let mut labels = Vec::new();
    for f in &files {
        decode(f, keep, &mut grey, &mut labels)?;
    }
    Ok(assemble(grey, labels, dir))
}

/// Reads one CIFAR-10 binary file, keeping the classes in `keep`.
pub fn read_file(path: &Path, keep: Option<&[u8]>) -> Result<Dataset> {
    let mut grey = Vec::new();
    let mut labels = Vec::new();
    decode(path, keep, &mut grey, &mut labels)?;
    Ok(assemble(grey, labels, path))
}

fn assemble(grey: Vec<f64>, labels: Vec<u8>, path: &Path) -> Dataset {
    let images = Mat::from_fn(labels.len(), PIXELS, |i, j| grey[i * PIXELS + j]);
    Dataset { images, labels, name: path.display().to_string() }
}

/// Appends the grey images and labels of the records of `path` (classes in `keep` only).
fn decode(path: &Path, keep: Option<&[u8]>, grey: &mut Vec<f64>, labels: &mut Vec<u8>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::input(format!("cannot read {}: {e}", path.display())))?;
    if bytes.is_empty() || bytes.len() % RECORD != 0 {
        return Err(Error::input(format!(
            "{}: size {} bytes is not a positive multiple of the CIFAR-10 record size {RECORD}",
            path.display(),
            bytes.len()
        )));
    }
    for (r, record) in bytes.chunks_exact(RECORD).enumerate() {
        let label = record[0];
        if label > 9 {
            return Err(Error::input(format!(
                "{}: record {r} has label {label}; CIFAR-10 labels are 0..=9",
                path.display()
            )));
        }
        if keep.is_some_and(|k| !k.contains(&label)) {
            continue;
        }
        labels.push(label);
        let px = &record[1..];
        grey.extend((0..PIXELS).map(|j| {
            LUMA[0] * f64::from(px[j]) + LUMA[1] * f64::from(px[PIXELS + j]) + LUMA[2] * f64::from(px[2 * PIXELS + j])
        }));
    }
    Ok(())
}
