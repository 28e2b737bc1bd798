//! Decimation of long, x-sorted series to about one bucket per pixel, so a plot draws a
//! few thousand points however long the run: per bucket the first, lowest, highest and
//! last point (M4 decimation) are kept, which draws the same pixels as the full series.
//!
//! Pure functions over plain numbers; no egui state, no allocation beyond the output
//! buffer the caller passes in (and reuses between frames).

use egui_plot::PlotPoint;

/// One pixel column's worth of points.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    index: usize,
    first: PlotPoint,
    min: PlotPoint,
    max: PlotPoint,
    last: PlotPoint,
}

/// Streaming M4 decimator: feed points in (mostly) increasing x with [`Decimator::push`],
/// then [`Decimator::finish`]. Points outside `x_range` are dropped, except the nearest one
/// on each side, kept so a line runs to the plot's edges.
#[derive(Clone, Debug)]
pub struct Decimator {
    x0: f64,
    x1: f64,
    buckets_per_x: f64,
    buckets: usize,
    current: Option<Bucket>,
    before: Option<PlotPoint>,
    after: Option<PlotPoint>,
    /// Keep the nearest point outside the range on each side.
    anchors: bool,
    out: Vec<PlotPoint>,
}

impl Decimator {
    /// A decimator for `x_range` split into `buckets` columns, writing into `out`
    /// (cleared first; pass last frame's buffer to reuse its allocation).
    #[must_use]
    pub fn new(x_range: (f64, f64), buckets: usize, mut out: Vec<PlotPoint>) -> Self {
        out.clear();
        let (x0, x1) = x_range;
        let buckets = buckets.max(1);
        let width = x1 - x0;
        let buckets_per_x = if width.is_finite() && width > 0.0 {
            buckets as f64 / width
        } else {
            0.0
        };
        Self {
            x0,
            x1,
            buckets_per_x,
            buckets,
            current: None,
            before: None,
            after: None,
            anchors: true,
            out,
        }
    }

    /// A decimator for the half-open range `[x0, x1)` that appends to `out` (kept as it
    /// is) and drops every point outside the range: for decimating a long series piece
    /// by piece on one grid.
    #[must_use]
    pub fn appending(x_range: (f64, f64), buckets: usize, out: Vec<PlotPoint>) -> Self {
        let mut d = Self::new(x_range, buckets, Vec::new());
        d.out = out;
        d.anchors = false;
        d
    }

    /// Add one point. NaN or infinite coordinates are skipped.
    pub fn push(&mut self, x: f64, y: f64) {
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        let p = PlotPoint::new(x, y);
        if x < self.x0 {
            if self.anchors {
                self.before = Some(p);
            }
            return;
        }
        if x > self.x1 || (!self.anchors && x >= self.x1) {
            if self.anchors && self.after.is_none() {
                self.after = Some(p);
            }
            return;
        }
        // Truncation is the bucketing; the clamp keeps x == x1 in the last bucket.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "x >= x0 here, and the value is clamped to the bucket count"
        )]
        let index = (((x - self.x0) * self.buckets_per_x) as usize).min(self.buckets - 1);
        match &mut self.current {
            // A point slightly out of order joins the bucket being filled.
            Some(b) if index <= b.index => {
                if y < b.min.y {
                    b.min = p;
                }
                if y > b.max.y {
                    b.max = p;
                }
                b.last = p;
            }
            _ => {
                self.flush();
                self.current = Some(Bucket {
                    index,
                    first: p,
                    min: p,
                    max: p,
                    last: p,
                });
            }
        }
    }

    /// Whether a point at `x` lies past the range (callers can stop feeding after one).
    #[must_use]
    pub fn is_past(&self, x: f64) -> bool {
        if self.anchors {
            self.after.is_some() && x > self.x1
        } else {
            x >= self.x1
        }
    }

    fn flush(&mut self) {
        let Some(b) = self.current.take() else {
            return;
        };
        if self.out.is_empty()
            && let Some(before) = self.before.take()
        {
            self.out.push(before);
        }
        // min and max in the order they occurred, between first and last.
        let (a, c) = if b.min.x <= b.max.x {
            (b.min, b.max)
        } else {
            (b.max, b.min)
        };
        for p in [b.first, a, c, b.last] {
            if self.out.last().is_none_or(|q| !same_point(q, &p)) {
                self.out.push(p);
            }
        }
    }

    /// The decimated points, in x order: at most 4 per bucket plus the two edge points.
    #[must_use]
    pub fn finish(mut self) -> Vec<PlotPoint> {
        self.flush();
        if self.out.is_empty()
            && let Some(before) = self.before.take()
        {
            self.out.push(before);
        }
        if let Some(after) = self.after.take() {
            self.out.push(after);
        }
        self.out
    }
}

/// Decimate `points` (sorted by x) over `x_range` into `buckets` columns, into `out`.
pub fn decimate(
    points: impl IntoIterator<Item = [f64; 2]>,
    x_range: (f64, f64),
    buckets: usize,
    out: &mut Vec<PlotPoint>,
) {
    let mut d = Decimator::new(x_range, buckets, std::mem::take(out));
    for [x, y] in points {
        if d.is_past(x) {
            break;
        }
        d.push(x, y);
    }
    *out = d.finish();
}

/// The very same point (an exact repeat, as a bucket's first and min can be).
#[expect(clippy::float_cmp, reason = "only exact repeats are dropped")]
fn same_point(a: &PlotPoint, b: &PlotPoint) -> bool {
    a.x == b.x && a.y == b.y
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "exact points are expected; bucket counts are small whole numbers"
)]
mod tests {
    use super::*;

    fn run(points: &[[f64; 2]], range: (f64, f64), buckets: usize) -> Vec<[f64; 2]> {
        let mut out = Vec::new();
        decimate(points.iter().copied(), range, buckets, &mut out);
        out.iter().map(|p| [p.x, p.y]).collect()
    }

    #[test]
    fn short_series_pass_through() {
        let pts = [[0.0, 1.0], [1.0, 5.0], [2.0, 3.0]];
        assert_eq!(run(&pts, (0.0, 2.0), 100), pts);
    }

    #[test]
    fn keeps_first_min_max_last_per_bucket() {
        // One bucket over the whole range: first, min, max, last in x order.
        let pts = [[0.0, 5.0], [1.0, 9.0], [2.0, 1.0], [3.0, 4.0]];
        assert_eq!(run(&pts, (0.0, 3.0), 1), pts);
        let pts = [
            [0.0, 5.0],
            [1.0, 1.0],
            [2.0, 7.0],
            [3.0, 9.0],
            [4.0, 2.0],
            [5.0, 4.0],
        ];
        assert_eq!(
            run(&pts, (0.0, 5.0), 1),
            [[0.0, 5.0], [1.0, 1.0], [3.0, 9.0], [5.0, 4.0]]
        );
    }

    #[test]
    fn a_million_points_become_at_most_four_per_bucket_and_keep_extremes() {
        let n = 1_000_000;
        let pts = (0..n).map(|i| {
            let x = f64::from(i);
            let y = if i == 777_777 { 1e9 } else { (x * 0.001).sin() };
            [x, y]
        });
        let mut out = Vec::new();
        decimate(pts, (0.0, f64::from(n - 1)), 800, &mut out);
        assert!(out.len() <= 800 * 4, "{}", out.len());
        assert!(out.len() >= 800, "{}", out.len());
        assert!(out.iter().any(|p| p.y == 1e9), "the spike survives");
        assert!(out.windows(2).all(|w| w[0].x <= w[1].x), "x stays sorted");
    }

    #[test]
    fn points_outside_the_range_leave_one_anchor_each_side() {
        let pts: Vec<[f64; 2]> = (0..100).map(|i| [f64::from(i), 1.0]).collect();
        let out = run(&pts, (10.0, 20.0), 1000);
        assert_eq!(out.first(), Some(&[9.0, 1.0]));
        assert_eq!(out.last(), Some(&[21.0, 1.0]));
        assert_eq!(out.len(), 13);
    }

    #[test]
    fn appending_pieces_equals_one_pass_on_the_same_grid() {
        let pts: Vec<[f64; 2]> = (0..1000)
            .map(|i| [f64::from(i) * 0.1, (f64::from(i) * 0.37).sin()])
            .collect();
        let whole = run(&pts, (0.0, 100.0), 200);
        let mut out = Vec::new();
        for (a, b) in [(0.0, 30.0), (30.0, 70.0), (70.0, 100.5)] {
            let buckets = ((b - a) * 2.0) as usize;
            let mut d = Decimator::appending((a, b), buckets, std::mem::take(&mut out));
            for [x, y] in &pts {
                d.push(*x, *y);
            }
            out = d.finish();
        }
        let pieces: Vec<[f64; 2]> = out.iter().map(|p| [p.x, p.y]).collect();
        assert_eq!(pieces, whole);
    }

    #[test]
    fn degenerate_input_does_not_panic() {
        assert!(run(&[], (0.0, 1.0), 10).is_empty());
        assert_eq!(run(&[[1.0, 2.0]], (1.0, 1.0), 0), [[1.0, 2.0]]);
        assert_eq!(
            run(&[[0.0, f64::NAN], [0.5, 1.0]], (0.0, 1.0), 10),
            [[0.5, 1.0]]
        );
        assert_eq!(run(&[[5.0, 1.0]], (0.0, 1.0), 10), [[5.0, 1.0]]);
        assert_eq!(run(&[[-5.0, 1.0]], (0.0, 1.0), 10), [[-5.0, 1.0]]);
        let _ = run(&[[0.0, 1.0]], (f64::NAN, f64::INFINITY), 10);
    }

    #[test]
    fn out_of_order_points_merge_into_the_current_bucket() {
        let pts = [[0.0, 1.0], [5.0, 2.0], [4.0, 9.0], [9.0, 4.0]];
        let out = run(&pts, (0.0, 10.0), 2);
        assert!(out.len() <= 5, "{out:?}");
        assert!(out.iter().any(|p| p[1] == 9.0), "{out:?}");
    }
}
