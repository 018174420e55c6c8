//! Real image data for the transfer experiments: readers for the CIFAR-10 binary format
//! ([`cifar`]) and for CSV image files ([`csv`]), binary class pairs with labels +-1, and the
//! normalisation x -> s (x - mean) with per-pixel means and one global scale s chosen so that
//! the mean of |x|^2 over the selected images equals D (the scale of x ~ N(0, I_D)).
//!
//! Nothing is ever downloaded: the user points tlcheck at files on disk. Every problem with a
//! file (missing path, wrong size, bad label, malformed row) is an input error naming the path.

pub mod cifar;
pub mod csv;

use std::path::Path;

use faer::{Col, Mat};

use crate::error::{Error, Result};

/// Labelled images: row i of `images` (n x D) is image i flattened, `labels[i]` its class.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub images: Mat<f64>,
    pub labels: Vec<u8>,
    /// Where the images came from (path), for messages.
    pub name: String,
}

impl Dataset {
    /// Reads a data set: a CSV file (extension `.csv`), a CIFAR-10 directory, or one CIFAR-10 `.bin` file
    /// (CIFAR pixels become grey values, see [`cifar`]). `keep` restricts the classes read (saves memory).
    pub fn load(path: &Path, keep: Option<&[u8]>) -> Result<Dataset> {
        if !path.exists() {
            return Err(Error::input(format!("data path {} does not exist", path.display())));
        }
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if path.is_dir() {
            cifar::read_dir(path, keep)
        } else if ext.as_deref() == Some("csv") {
            csv::read(path, keep)
        } else if ext.as_deref() == Some("bin") {
            cifar::read_file(path, keep)
        } else {
            Err(Error::input(format!(
                "data path {}: expected a CIFAR-10 directory, a CIFAR-10 .bin file or a .csv file",
                path.display()
            )))
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Input dimension D (pixels per image).
    pub fn dim(&self) -> usize {
        self.images.ncols()
    }

    /// Number of images of class `c`.
    pub fn count(&self, c: u8) -> usize {
        self.labels.iter().filter(|&&l| l == c).count()
    }

    /// Indices of the images of class `c`, in file order; an error if there are none.
    pub fn indices_of(&self, c: u8) -> Result<Vec<usize>> {
        let idx: Vec<usize> = (0..self.len()).filter(|&i| self.labels[i] == c).collect();
        if idx.is_empty() {
            let mut present: Vec<u8> = self.labels.clone();
            present.sort_unstable();
            present.dedup();
            let list: Vec<String> = present.iter().map(u8::to_string).collect();
            return Err(Error::input(format!(
                "{}: no image of class {c} (classes read: {})",
                self.name,
                if list.is_empty() { "none".into() } else { list.join(", ") }
            )));
        }
        Ok(idx)
    }

    /// The images of classes `plus` (label +1) and `minus` (label -1), in file order, normalised over
    /// the selected images by [`Normaliser`].
    pub fn binary_pair(&self, plus: u8, minus: u8) -> Result<(Mat<f64>, Col<f64>)> {
        if plus == minus {
            return Err(Error::input(format!("a binary pair needs two different classes (got {plus} twice)")));
        }
        let (ip, im) = (self.indices_of(plus)?, self.indices_of(minus)?);
        let mut rows: Vec<(usize, f64)> = ip.iter().map(|&i| (i, 1.0)).chain(im.iter().map(|&i| (i, -1.0))).collect();
        rows.sort_unstable_by_key(|r| r.0);
        let mut x = Mat::from_fn(rows.len(), self.dim(), |r, j| self.images[(rows[r].0, j)]);
        let y = Col::from_fn(rows.len(), |r| rows[r].1);
        Normaliser::fit(&x, &self.name)?.apply(&mut x);
        Ok((x, y))
    }
}

/// x -> scale (x - mean): `mean` the per-pixel mean, `scale` such that the mean of |x|^2 is D.
#[derive(Debug, Clone)]
pub struct Normaliser {
    pub mean: Vec<f64>,
    pub scale: f64,
}

impl Normaliser {
    /// Fits the normaliser on the rows of `x`; an error if all rows are equal (nothing to scale).
    pub fn fit(x: &Mat<f64>, name: &str) -> Result<Normaliser> {
        let (n, d) = (x.nrows(), x.ncols());
        if n == 0 || d == 0 {
            return Err(Error::input(format!("{name}: no images to normalise")));
        }
        let mean: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64).collect();
        let mut ss = 0.0;
        for j in 0..d {
            for i in 0..n {
                let c = x[(i, j)] - mean[j];
                ss += c * c;
            }
        }
        let mean_sq = ss / n as f64;
        if !(mean_sq > 0.0 && mean_sq.is_finite()) {
            return Err(Error::input(format!("{name}: the selected images are all identical; cannot normalise")));
        }
        Ok(Normaliser { mean, scale: (d as f64 / mean_sq).sqrt() })
    }

    /// Applies the map to every row of `x` in place.
    pub fn apply(&self, x: &mut Mat<f64>) {
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                x[(i, j)] = self.scale * (x[(i, j)] - self.mean[j]);
            }
        }
    }
}
