//! Data splitters for evaluation: train/test splits and cross-validation folds, with the
//! same indices as scikit-learn (1.9) wherever no random numbers are involved.
//!
//! | here | scikit-learn | needs |
//! |---|---|---|
//! | [`TrainTestSplit`] | `train_test_split` (`stratify=` through `StratifiedShuffleSplit`) | `n_rows`, class codes to stratify |
//! | [`KFold`] | `KFold` | `n_rows` |
//! | [`StratifiedKFold`] | `StratifiedKFold` (the algorithm of 0.22 and later) | class codes `y` |
//! | [`TimeSeriesSplit`] | `TimeSeriesSplit` | `n_rows`, rows in time order |
//! | [`GroupKFold`] | `GroupKFold` (`shuffle=False`) | group codes |
//!
//! Every splitter gives [`Fold`]s of row indices, each list sorted ascending. The four
//! cross-validators implement [`Splitter`], so cross-validation can take any of them
//! (or a user's own) as `&dyn Splitter`; [`TrainTestSplit`] gives a single [`Fold`].
//!
//! Classes and groups are *codes* (`usize`), as elsewhere in ferrops. To split on labels
//! of another type, encode them with [`sorted_codes`], which numbers them in sorted
//! order as NumPy's `np.unique` does, so [`GroupKFold`] keeps scikit-learn's tie-breaking.
//!
//! # Shuffling
//!
//! With `shuffle = true`, rows are shuffled by a small generator in this module
//! (SplitMix64), seeded by the splitter's `seed`: the same seed gives the same folds on
//! every platform, whatever the versions of dependencies. Shuffled folds
//! are *not* scikit-learn's for the same `random_state` (NumPy's generator is not
//! reproduced), but they have the same sizes: the same fold sizes for [`KFold`], the
//! same per-class counts in every fold for [`StratifiedKFold`], the same train and test
//! sizes for [`TrainTestSplit`]. Without shuffling, `seed` is ignored (scikit-learn
//! raises when `random_state` is set without `shuffle`; a `u64` seed is always set).
//!
//! # Where this differs from scikit-learn
//!
//! - A stratified [`TrainTestSplit`] gives every class at least one row on each side.
//!   scikit-learn's largest-remainder allocation can leave a small class out of the test
//!   set entirely (classes of 200, 31, 17, 5 and 2 rows with `test_size=0.15` put both
//!   rows of the last class in train); here the allocation is the same largest-remainder
//!   one, bounded to `1..=count - 1` rows of each class in train. Where scikit-learn's
//!   allocation already meets the bound and has no tie, the per-class counts are equal.
//! - `TimeSeriesSplit { max_train_size: Some(0), .. }` is an error; scikit-learn treats
//!   `max_train_size=0` as no limit (use `None` for that).
//! - scikit-learn warns where it ignores an argument (`groups` given to [`KFold`]) or
//!   where a class has fewer rows than folds ([`StratifiedKFold`]). A library has no
//!   warning channel, so these are silent; the arguments are still checked for length.
//! - [`GroupKFold`] has no `shuffle` option (scikit-learn 1.6 added one).
#![warn(clippy::indexing_slicing)]

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub(crate) use crate::rng::SplitMix64;

// ---------------------------------------------------------------------------------------
// Folds and the splitter trait
// ---------------------------------------------------------------------------------------

/// One train/test split: row indices into the data, each list sorted ascending.
///
/// A fold of a cross-validator partitions the rows: every row is in exactly one of
/// `train` and `test`. [`TimeSeriesSplit`] is the exception, as in scikit-learn: its
/// train set holds only rows before the test rows (less any `gap`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Rows to fit on.
    pub train: Vec<usize>,
    /// Rows to evaluate on.
    pub test: Vec<usize>,
}

/// A cross-validator: cuts `n_rows` rows into folds.
///
/// `y` holds one class code per row and `groups` one group code per row; a splitter uses
/// them if it needs them and otherwise only checks that their length is `n_rows` (as
/// scikit-learn does).
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::{GroupKFold, KFold, Splitter, StratifiedKFold};
///
/// # fn main() -> ferrops::Result<()> {
/// let y = [0, 1, 0, 1, 0, 1, 0, 1];
/// let groups = [0, 0, 1, 1, 2, 2, 3, 3];
/// let splitters: Vec<Box<dyn Splitter>> = vec![
///     Box::new(KFold::new(2)),
///     Box::new(StratifiedKFold::new(2)),
///     Box::new(GroupKFold::new(2)),
/// ];
/// for splitter in &splitters {
///     let folds = splitter.split(y.len(), Some(&y), Some(&groups))?;
///     assert_eq!(folds.len(), 2);
/// }
/// # Ok(()) }
/// ```
pub trait Splitter: Send + Sync + std::fmt::Debug {
    /// The folds of `n_rows` rows.
    ///
    /// # Errors
    ///
    /// Invalid parameters ([`Error::InvalidParameter`]), no rows ([`Error::EmptyInput`]),
    /// `y` or `groups` of a length other than `n_rows` ([`Error::InvalidData`]), a needed
    /// `y` or `groups` that is `None` ([`Error::InvalidParameter`]), or too few rows,
    /// classes or groups for the folds asked for.
    fn split(&self, n_rows: usize, y: Option<&[usize]>, groups: Option<&[usize]>) -> Result<Vec<Fold>>;
}

// ---------------------------------------------------------------------------------------
// Shared checks and helpers
// ---------------------------------------------------------------------------------------

fn check_n_splits(splitter: &str, n_splits: usize) -> Result<()> {
    if n_splits < 2 {
        return Err(Error::param(
            "n_splits",
            n_splits,
            format!("{splitter} needs at least one train/test split; set n_splits to 2 or more"),
        ));
    }
    Ok(())
}

fn check_not_empty(splitter: &str, n_rows: usize) -> Result<()> {
    if n_rows == 0 {
        return Err(Error::EmptyInput {
            context: format!("{splitter} got 0 rows; pass at least as many rows as folds"),
        });
    }
    Ok(())
}

fn check_n_splits_vs_rows(splitter: &str, n_splits: usize, n_rows: usize) -> Result<()> {
    if n_splits > n_rows {
        return Err(Error::param(
            "n_splits",
            n_splits,
            format!(
                "{splitter} cannot make more folds than there are rows ({n_rows}); \
                 lower n_splits to at most {n_rows} or pass more rows"
            ),
        ));
    }
    Ok(())
}

fn check_len(splitter: &str, name: &str, values: Option<&[usize]>, n_rows: usize) -> Result<()> {
    match values {
        Some(values) if values.len() != n_rows => Err(Error::InvalidData(format!(
            "{splitter}: `{name}` has {} values but there are {n_rows} rows; pass exactly one `{name}` value per row",
            values.len()
        ))),
        _ => Ok(()),
    }
}

fn required<'a>(splitter: &str, name: &str, values: Option<&'a [usize]>, what: &str) -> Result<&'a [usize]> {
    values.ok_or_else(|| {
        Error::param(
            name,
            "None",
            format!("{splitter} needs {what}; pass Some(codes) with one code per row"),
        )
    })
}

/// Folds from the test fold of every row: fold `f` tests the rows assigned to `f` and
/// trains on all others. Both lists come out sorted because rows are visited in order.
fn folds_from_assignment(fold_of_row: &[usize], n_splits: usize) -> Vec<Fold> {
    (0..n_splits)
        .map(|fold| {
            let (test, train) = (0..fold_of_row.len())
                .partition(|&row| fold_of_row.get(row).is_some_and(|&assigned| assigned == fold));
            Fold { train, test }
        })
        .collect()
}

/// Codes `0..n_distinct` numbering `values` in sorted order, and `n_distinct`.
fn codes_and_count<T: Ord>(values: &[T]) -> (Vec<usize>, usize) {
    let mut pairs: Vec<(&T, usize)> = values.iter().zip(0..).collect();
    pairs.sort_unstable();
    let mut codes = vec![0; values.len()];
    let mut n_distinct = 0;
    let mut previous: Option<&T> = None;
    for (value, row) in pairs {
        if previous != Some(value) {
            n_distinct += 1;
            previous = Some(value);
        }
        if let Some(code) = codes.get_mut(row) {
            *code = n_distinct - 1;
        }
    }
    (codes, n_distinct)
}

/// The code of every value, numbering the distinct values `0, 1, …` in sorted order:
/// NumPy's `np.unique(values, return_inverse=True)[1]`.
///
/// Use it to pass labels of any ordered type (strings, dates, ids) as the `y` or
/// `groups` codes of a splitter. [`GroupKFold`] breaks ties between groups of equal size
/// by this order, so codes from `sorted_codes` give scikit-learn's folds for the
/// original labels.
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::sorted_codes;
///
/// assert_eq!(sorted_codes(&["tokyo", "paris", "tokyo", "lima"]), vec![2, 1, 2, 0]);
/// ```
pub fn sorted_codes<T: Ord>(values: &[T]) -> Vec<usize> {
    codes_and_count(values).0
}

/// The row order that sorts `timestamps` ascending, keeping rows with equal timestamps
/// in their original order (a stable argsort).
///
/// [`TimeSeriesSplit`] assumes rows are in time order; reorder the data by this first,
/// then map fold indices back through it (`order[i]` is the original row at position
/// `i`).
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::order_by_time;
///
/// assert_eq!(order_by_time(&[30, 10, 20, 10]), vec![1, 3, 2, 0]);
/// ```
pub fn order_by_time(timestamps: &[i64]) -> Vec<usize> {
    // Sorting (timestamp, row) pairs is stable by construction: equal timestamps keep
    // row order.
    let mut pairs: Vec<(i64, usize)> = timestamps.iter().copied().zip(0..).collect();
    pairs.sort_unstable();
    pairs.into_iter().map(|(_, row)| row).collect()
}

// ---------------------------------------------------------------------------------------
// KFold
// ---------------------------------------------------------------------------------------

/// K-fold cross-validation: `n_splits` consecutive blocks of rows, each the test set
/// once; scikit-learn's `KFold`.
///
/// The first `n_rows % n_splits` folds have `n_rows / n_splits + 1` test rows, the others
/// `n_rows / n_splits`. Without shuffling, the test folds are contiguous and identical to
/// scikit-learn's; with shuffling the rows are shuffled by `seed` first (see the
/// [module docs](self) on shuffling).
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `n_splits` | 5 | number of folds | `2..=n_rows` |
/// | `shuffle` | `false` | shuffle the rows before cutting them into blocks | |
/// | `seed` | 0 | seed of the shuffle; ignored without `shuffle` | any |
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::{Fold, KFold};
///
/// # fn main() -> ferrops::Result<()> {
/// let folds = KFold::new(3).folds(7)?;
/// assert_eq!(folds[0], Fold { train: vec![3, 4, 5, 6], test: vec![0, 1, 2] });
/// assert_eq!(folds[1].test, vec![3, 4]);
/// assert_eq!(folds[2].test, vec![5, 6]);
///
/// // Shuffled: other rows in each fold, the same fold sizes, the same folds for a seed.
/// let shuffled = KFold::new(3).shuffled(42).folds(7)?;
/// assert_eq!(shuffled.iter().map(|f| f.test.len()).collect::<Vec<_>>(), vec![3, 2, 2]);
/// assert_eq!(shuffled, KFold::new(3).shuffled(42).folds(7)?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KFold {
    /// Number of folds, at least 2.
    pub n_splits: usize,
    /// Shuffle the rows before cutting them into folds.
    pub shuffle: bool,
    /// Seed of the shuffle; ignored without `shuffle`.
    pub seed: u64,
}

impl Default for KFold {
    fn default() -> Self {
        KFold {
            n_splits: 5,
            shuffle: false,
            seed: 0,
        }
    }
}

impl KFold {
    /// `n_splits` folds, without shuffling.
    pub fn new(n_splits: usize) -> Self {
        KFold {
            n_splits,
            ..KFold::default()
        }
    }

    /// The same splitter, shuffling the rows with `seed` first.
    pub fn shuffled(self, seed: u64) -> Self {
        KFold {
            shuffle: true,
            seed,
            ..self
        }
    }

    /// Checks the parameters on their own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`.
    pub fn check(&self) -> Result<()> {
        check_n_splits("KFold", self.n_splits)
    }

    /// The `n_splits` folds of `n_rows` rows.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2` or `n_splits > n_rows`;
    /// [`Error::EmptyInput`] if `n_rows == 0`.
    pub fn folds(&self, n_rows: usize) -> Result<Vec<Fold>> {
        self.check()?;
        check_not_empty("KFold", n_rows)?;
        check_n_splits_vs_rows("KFold", self.n_splits, n_rows)?;
        let mut order: Vec<usize> = (0..n_rows).collect();
        if self.shuffle {
            SplitMix64::new(self.seed).shuffle(&mut order);
        }
        let base = n_rows / self.n_splits;
        let with_extra_row = n_rows % self.n_splits;
        let mut fold_of_row = vec![0; n_rows];
        let mut positions = order.iter();
        for fold in 0..self.n_splits {
            let size = base + usize::from(fold < with_extra_row);
            for &row in positions.by_ref().take(size) {
                if let Some(slot) = fold_of_row.get_mut(row) {
                    *slot = fold;
                }
            }
        }
        Ok(folds_from_assignment(&fold_of_row, self.n_splits))
    }
}

impl Splitter for KFold {
    /// [`KFold::folds`]; `y` and `groups` are only checked for length.
    fn split(&self, n_rows: usize, y: Option<&[usize]>, groups: Option<&[usize]>) -> Result<Vec<Fold>> {
        check_len("KFold", "y", y, n_rows)?;
        check_len("KFold", "groups", groups, n_rows)?;
        self.folds(n_rows)
    }
}

// ---------------------------------------------------------------------------------------
// StratifiedKFold
// ---------------------------------------------------------------------------------------

/// Stratified k-fold cross-validation: every fold keeps the class proportions of `y` as
/// closely as whole rows allow; scikit-learn's `StratifiedKFold` (0.22 and later).
///
/// The number of rows of each class in each test fold is that of dealing the rows,
/// sorted by class, round-robin to the folds; each class's rows then fill its folds in
/// row order (fold 0 first). Test folds therefore differ in size by at most one row, and
/// without shuffling they are identical to scikit-learn's. With shuffling, the fold of
/// each row is shuffled within its class by `seed`: the per-class counts of every fold
/// stay the same.
///
/// Classes are numbered by first appearance, so the folds do not depend on the code
/// values. A class with fewer rows than folds is allowed (scikit-learn warns; some folds
/// then lack that class); every class having fewer rows than folds is an error.
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `n_splits` | 5 | number of folds | `2..=n_rows`, at most the largest class's count |
/// | `shuffle` | `false` | shuffle each class's fold assignment | |
/// | `seed` | 0 | seed of the shuffle; ignored without `shuffle` | any |
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::StratifiedKFold;
///
/// # fn main() -> ferrops::Result<()> {
/// let y = [0, 0, 0, 0, 1, 1, 0, 0];
/// let folds = StratifiedKFold::new(2).folds(&y)?;
/// assert_eq!(folds[0].test, vec![0, 1, 2, 4]);
/// assert_eq!(folds[1].test, vec![3, 5, 6, 7]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StratifiedKFold {
    /// Number of folds, at least 2.
    pub n_splits: usize,
    /// Shuffle which rows of each class go to which fold.
    pub shuffle: bool,
    /// Seed of the shuffle; ignored without `shuffle`.
    pub seed: u64,
}

impl Default for StratifiedKFold {
    fn default() -> Self {
        StratifiedKFold {
            n_splits: 5,
            shuffle: false,
            seed: 0,
        }
    }
}

/// How many of the positions `start..end` fall on `fold` when positions are dealt to
/// `n_splits` folds round-robin (position `p` to fold `p % n_splits`).
fn dealt_to_fold(start: usize, end: usize, fold: usize, n_splits: usize) -> usize {
    // Positions below `x` dealt to `fold`: ceil((x - fold) / n_splits), or 0 if x <= fold.
    let below = |x: usize| (x + n_splits - 1).saturating_sub(fold) / n_splits;
    below(end) - below(start)
}

impl StratifiedKFold {
    /// `n_splits` folds, without shuffling.
    pub fn new(n_splits: usize) -> Self {
        StratifiedKFold {
            n_splits,
            ..StratifiedKFold::default()
        }
    }

    /// The same splitter, shuffling each class's fold assignment with `seed`.
    pub fn shuffled(self, seed: u64) -> Self {
        StratifiedKFold {
            shuffle: true,
            seed,
            ..self
        }
    }

    /// Checks the parameters on their own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`.
    pub fn check(&self) -> Result<()> {
        check_n_splits("StratifiedKFold", self.n_splits)
    }

    /// The `n_splits` folds of the rows whose class codes are `y`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`, `n_splits > y.len()`, or every
    /// class has fewer than `n_splits` rows; [`Error::EmptyInput`] if `y` is empty.
    pub fn folds(&self, y: &[usize]) -> Result<Vec<Fold>> {
        self.check()?;
        let n_splits = self.n_splits;
        check_not_empty("StratifiedKFold", y.len())?;
        check_n_splits_vs_rows("StratifiedKFold", n_splits, y.len())?;

        // Classes in order of first appearance, so the folds do not depend on the codes.
        let mut class_of_code: HashMap<usize, usize> = HashMap::new();
        let mut rows_by_class: Vec<Vec<usize>> = Vec::new();
        for (row, &code) in y.iter().enumerate() {
            match class_of_code.entry(code) {
                Entry::Vacant(entry) => {
                    entry.insert(rows_by_class.len());
                    rows_by_class.push(vec![row]);
                }
                Entry::Occupied(entry) => {
                    if let Some(rows) = rows_by_class.get_mut(*entry.get()) {
                        rows.push(row);
                    }
                }
            }
        }
        let largest = rows_by_class.iter().map(Vec::len).max().unwrap_or(0);
        if largest < n_splits {
            return Err(Error::param(
                "n_splits",
                n_splits,
                format!(
                    "StratifiedKFold cannot make more folds than the number of rows in every class \
                     (the largest class has {largest}); lower n_splits to at most {largest}"
                ),
            ));
        }

        let mut rng = self.shuffle.then(|| SplitMix64::new(self.seed));
        let mut fold_of_row = vec![0; y.len()];
        let mut class_start = 0;
        for rows in &rows_by_class {
            let class_end = class_start + rows.len();
            let mut fold_of_class_row: Vec<usize> = (0..n_splits)
                .flat_map(|fold| {
                    std::iter::repeat_n(fold, dealt_to_fold(class_start, class_end, fold, n_splits))
                })
                .collect();
            if let Some(rng) = rng.as_mut() {
                rng.shuffle(&mut fold_of_class_row);
            }
            for (&row, fold) in rows.iter().zip(fold_of_class_row) {
                if let Some(slot) = fold_of_row.get_mut(row) {
                    *slot = fold;
                }
            }
            class_start = class_end;
        }
        Ok(folds_from_assignment(&fold_of_row, n_splits))
    }
}

impl Splitter for StratifiedKFold {
    /// [`StratifiedKFold::folds`] of `y`, which is required; `groups` is only checked for
    /// length.
    fn split(&self, n_rows: usize, y: Option<&[usize]>, groups: Option<&[usize]>) -> Result<Vec<Fold>> {
        let y = required(
            "StratifiedKFold",
            "y",
            y,
            "the class code of every row to stratify on",
        )?;
        check_len("StratifiedKFold", "y", Some(y), n_rows)?;
        check_len("StratifiedKFold", "groups", groups, n_rows)?;
        self.folds(y)
    }
}

// ---------------------------------------------------------------------------------------
// TimeSeriesSplit
// ---------------------------------------------------------------------------------------

/// Time-series cross-validation with an expanding (or, with `max_train_size`, sliding)
/// training window; scikit-learn's `TimeSeriesSplit`, index for index.
///
/// Rows must be in time order: sort the data by its timestamps first
/// ([`order_by_time`] gives the order). The last `n_splits * test_size` rows are cut into
/// `n_splits` consecutive test blocks of `test_size` rows; each fold trains on the rows
/// before its test block, less the `gap` rows just before it, and at most the last
/// `max_train_size` of them. Every train row precedes every test row.
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `n_splits` | 5 | number of folds | `2..n_rows` |
/// | `max_train_size` | `None` | most rows in a train set (`None`: no limit) | `Some(1..)` |
/// | `test_size` | `None` | rows in each test set (`None`: `n_rows / (n_splits + 1)`) | `Some(1..)` |
/// | `gap` | 0 | rows left out between train and test | `0..` |
///
/// There must be at least one train row: `n_rows > gap + n_splits * test_size`.
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::{order_by_time, Fold, TimeSeriesSplit};
///
/// # fn main() -> ferrops::Result<()> {
/// let splitter = TimeSeriesSplit { n_splits: 3, test_size: Some(2), gap: 2, ..TimeSeriesSplit::default() };
/// let folds = splitter.folds(12)?;
/// assert_eq!(folds[0], Fold { train: vec![0, 1, 2, 3], test: vec![6, 7] });
/// assert_eq!(folds[2], Fold { train: (0..8).collect(), test: vec![10, 11] });
///
/// // Rows not yet in time order: split positions in time order, then map back.
/// let timestamps = [40, 10, 30, 20, 60, 50];
/// let order = order_by_time(&timestamps);
/// let folds = TimeSeriesSplit::new(2).folds(order.len())?;
/// let test_rows: Vec<usize> = folds[1].test.iter().map(|&i| order[i]).collect();
/// assert_eq!(test_rows, vec![5, 4]); // the two latest rows
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeSeriesSplit {
    /// Number of folds, at least 2.
    pub n_splits: usize,
    /// Most rows in a train set (the latest ones); `None` for no limit.
    pub max_train_size: Option<usize>,
    /// Rows in each test set; `None` for `n_rows / (n_splits + 1)`.
    pub test_size: Option<usize>,
    /// Rows left out between the end of each train set and its test set.
    pub gap: usize,
}

impl Default for TimeSeriesSplit {
    fn default() -> Self {
        TimeSeriesSplit {
            n_splits: 5,
            max_train_size: None,
            test_size: None,
            gap: 0,
        }
    }
}

impl TimeSeriesSplit {
    /// `n_splits` folds with the default sizes and no gap.
    pub fn new(n_splits: usize) -> Self {
        TimeSeriesSplit {
            n_splits,
            ..TimeSeriesSplit::default()
        }
    }

    /// Checks the parameters on their own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`, `max_train_size` is `Some(0)` or
    /// `test_size` is `Some(0)`.
    pub fn check(&self) -> Result<()> {
        check_n_splits("TimeSeriesSplit", self.n_splits)?;
        if self.max_train_size == Some(0) {
            return Err(Error::param(
                "max_train_size",
                0,
                "a train set needs at least 1 row; use None for no limit",
            ));
        }
        if self.test_size == Some(0) {
            return Err(Error::param(
                "test_size",
                0,
                "a test set needs at least 1 row; use None for n_rows / (n_splits + 1)",
            ));
        }
        Ok(())
    }

    /// The `n_splits` folds of `n_rows` rows in time order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if a parameter is out of range ([`check`](Self::check)),
    /// if `n_splits >= n_rows` (the rows are cut into `n_splits + 1` blocks), or if
    /// `n_rows <= gap + n_splits * test_size` (no row left to train on);
    /// [`Error::EmptyInput`] if `n_rows == 0`.
    pub fn folds(&self, n_rows: usize) -> Result<Vec<Fold>> {
        self.check()?;
        let n_splits = self.n_splits;
        check_not_empty("TimeSeriesSplit", n_rows)?;
        if n_splits >= n_rows {
            return Err(Error::param(
                "n_splits",
                n_splits,
                format!(
                    "TimeSeriesSplit cuts the rows into n_splits + 1 = {} blocks but there are only \
                     {n_rows} rows; lower n_splits to at most {}",
                    n_splits.saturating_add(1),
                    n_rows - 1
                ),
            ));
        }
        let test_size = self.test_size.unwrap_or(n_rows / (n_splits + 1));
        let held_out = test_size
            .checked_mul(n_splits)
            .and_then(|tested| tested.checked_add(self.gap))
            .filter(|&held_out| held_out < n_rows)
            .ok_or_else(|| {
                Error::param(
                    "n_splits",
                    n_splits,
                    format!(
                        "TimeSeriesSplit needs more than gap + n_splits * test_size = {} + {n_splits} * {test_size} \
                         rows to leave a row to train on, but there are {n_rows}; lower n_splits, test_size or gap",
                        self.gap
                    ),
                )
            })?;
        let first_test_start = n_rows - (held_out - self.gap);
        Ok((0..n_splits)
            .map(|fold| {
                let test_start = first_test_start + fold * test_size;
                let train_end = test_start - self.gap;
                let train_start = match self.max_train_size {
                    Some(max) if max < train_end => train_end - max,
                    _ => 0,
                };
                Fold {
                    train: (train_start..train_end).collect(),
                    test: (test_start..test_start + test_size).collect(),
                }
            })
            .collect())
    }
}

impl Splitter for TimeSeriesSplit {
    /// [`TimeSeriesSplit::folds`]; `y` and `groups` are only checked for length.
    fn split(&self, n_rows: usize, y: Option<&[usize]>, groups: Option<&[usize]>) -> Result<Vec<Fold>> {
        check_len("TimeSeriesSplit", "y", y, n_rows)?;
        check_len("TimeSeriesSplit", "groups", groups, n_rows)?;
        self.folds(n_rows)
    }
}

// ---------------------------------------------------------------------------------------
// GroupKFold
// ---------------------------------------------------------------------------------------

/// K-fold cross-validation that keeps each group in one fold, so no group is in both the
/// train and the test set of a fold; scikit-learn's `GroupKFold` (`shuffle=False`).
///
/// Groups are placed largest first, each in the fold with the fewest rows so far (the
/// first such fold on a tie); groups of equal size are placed in descending order of
/// their code. This is scikit-learn 1.9's algorithm, and the folds are identical to its
/// on the same codes (encode other labels with [`sorted_codes`] to keep its order).
/// Test folds balance rows, not groups, and can differ in size by more than one row.
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `n_splits` | 5 | number of folds | `2..=` the number of distinct groups |
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::GroupKFold;
///
/// # fn main() -> ferrops::Result<()> {
/// let groups = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
/// let folds = GroupKFold::new(2).folds(&groups)?;
/// assert_eq!(folds[0].test, vec![5, 6, 7, 8, 9]); // groups 2 and 3
/// assert_eq!(folds[1].test, vec![0, 1, 2, 3, 4]); // groups 0 and 1
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupKFold {
    /// Number of folds, at least 2 and at most the number of groups.
    pub n_splits: usize,
}

impl Default for GroupKFold {
    fn default() -> Self {
        GroupKFold { n_splits: 5 }
    }
}

impl GroupKFold {
    /// `n_splits` folds.
    pub fn new(n_splits: usize) -> Self {
        GroupKFold { n_splits }
    }

    /// Checks the parameters on their own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`.
    pub fn check(&self) -> Result<()> {
        check_n_splits("GroupKFold", self.n_splits)
    }

    /// The `n_splits` folds of the rows whose group codes are `groups`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `n_splits < 2`, `n_splits > groups.len()`, or
    /// `n_splits` exceeds the number of distinct groups; [`Error::EmptyInput`] if
    /// `groups` is empty.
    pub fn folds(&self, groups: &[usize]) -> Result<Vec<Fold>> {
        self.check()?;
        let n_splits = self.n_splits;
        check_not_empty("GroupKFold", groups.len())?;
        check_n_splits_vs_rows("GroupKFold", n_splits, groups.len())?;
        let (group_of_row, n_groups) = codes_and_count(groups);
        if n_splits > n_groups {
            return Err(Error::param(
                "n_splits",
                n_splits,
                format!(
                    "GroupKFold keeps each group in one fold, so it cannot make more folds than there are \
                     groups ({n_groups}); lower n_splits to at most {n_groups} or use finer groups"
                ),
            ));
        }
        let mut rows_in_group = vec![0usize; n_groups];
        for &group in &group_of_row {
            if let Some(count) = rows_in_group.get_mut(group) {
                *count += 1;
            }
        }
        // scikit-learn reverses a stable ascending argsort: largest groups first, and
        // among groups of one size the last one first.
        let mut placing_order: Vec<usize> = (0..n_groups).collect();
        placing_order.sort_by_key(|&group| rows_in_group.get(group).copied().unwrap_or(0));
        placing_order.reverse();

        let mut rows_in_fold = vec![0usize; n_splits];
        let mut fold_of_group = vec![0usize; n_groups];
        for group in placing_order {
            // `min_by_key` keeps the first of equal minima, as `np.argmin` does.
            let lightest = rows_in_fold
                .iter()
                .enumerate()
                .min_by_key(|&(_, &rows)| rows)
                .map_or(0, |(fold, _)| fold);
            let size = rows_in_group.get(group).copied().unwrap_or(0);
            if let Some(rows) = rows_in_fold.get_mut(lightest) {
                *rows += size;
            }
            if let Some(fold) = fold_of_group.get_mut(group) {
                *fold = lightest;
            }
        }
        let fold_of_row: Vec<usize> = group_of_row
            .iter()
            .map(|&group| fold_of_group.get(group).copied().unwrap_or(0))
            .collect();
        Ok(folds_from_assignment(&fold_of_row, n_splits))
    }
}

impl Splitter for GroupKFold {
    /// [`GroupKFold::folds`] of `groups`, which is required; `y` is only checked for
    /// length.
    fn split(&self, n_rows: usize, y: Option<&[usize]>, groups: Option<&[usize]>) -> Result<Vec<Fold>> {
        let groups = required("GroupKFold", "groups", groups, "the group code of every row")?;
        check_len("GroupKFold", "groups", Some(groups), n_rows)?;
        check_len("GroupKFold", "y", y, n_rows)?;
        self.folds(groups)
    }
}

// ---------------------------------------------------------------------------------------
// TrainTestSplit
// ---------------------------------------------------------------------------------------

/// The size of a test set: a fraction of the rows or a number of rows.
///
/// Serialized as `{"fraction": 0.25}` or `{"count": 100}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// A fraction of the rows, in `(0, 1)`; rounded up to whole rows, as scikit-learn
    /// does (`ceil(fraction * n_rows)`).
    Fraction(f64),
    /// A number of rows, in `1..n_rows`.
    Count(usize),
}

/// One train/test split; scikit-learn's `train_test_split`.
///
/// Without shuffling, the last rows are the test set, as in scikit-learn. With
/// shuffling, the test rows are drawn at random (by `seed`); with `stratify` as well,
/// they are drawn within each class so that every class keeps its proportion: the train
/// rows of each class are its share of the train set rounded by largest remainder, as in
/// scikit-learn's `StratifiedShuffleSplit`, with ties between equal remainders broken
/// by `seed` and each class given at least one row on each side (see the
/// [module docs](self) for how this differs from scikit-learn).
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `test_size` | `Fraction(0.25)` | size of the test set | fraction in `(0, 1)`, count in `1..n_rows` |
/// | `shuffle` | `true` | draw the test rows at random | must be `true` with `stratify` |
/// | `seed` | 0 | seed of the draw; ignored without `shuffle` | any |
/// | `stratify` | `false` | keep class proportions (needs class codes) | |
///
/// # Examples
///
/// ```
/// use ferrops::validate::split::{Size, TrainTestSplit};
///
/// # fn main() -> ferrops::Result<()> {
/// let y = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
/// let splitter = TrainTestSplit { test_size: Size::Fraction(0.5), stratify: true, ..TrainTestSplit::default() };
/// let fold = splitter.split(y.len(), Some(&y))?;
/// assert_eq!(fold.test.iter().filter(|&&row| y[row] == 1).count(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainTestSplit {
    /// Size of the test set.
    pub test_size: Size,
    /// Draw the test rows at random; otherwise the last rows are the test set.
    pub shuffle: bool,
    /// Seed of the draw; ignored without `shuffle`.
    pub seed: u64,
    /// Keep the class proportions of the stratification codes in both sets.
    pub stratify: bool,
}

impl Default for TrainTestSplit {
    fn default() -> Self {
        TrainTestSplit {
            test_size: Size::Fraction(0.25),
            shuffle: true,
            seed: 0,
            stratify: false,
        }
    }
}

impl TrainTestSplit {
    /// A shuffled, unstratified split with a test set of `test_size`.
    pub fn new(test_size: Size) -> Self {
        TrainTestSplit {
            test_size,
            ..TrainTestSplit::default()
        }
    }

    /// Checks the parameters on their own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if a fraction `test_size` is outside `(0, 1)`, a count
    /// `test_size` is 0, or `stratify` is set without `shuffle`.
    pub fn check(&self) -> Result<()> {
        match self.test_size {
            Size::Fraction(fraction) if !(fraction > 0.0 && fraction < 1.0) => {
                return Err(Error::param(
                    "test_size",
                    fraction,
                    "a fraction of the rows must be in (0, 1); use Size::Count for a number of rows",
                ));
            }
            Size::Count(0) => {
                return Err(Error::param("test_size", 0, "the test set needs at least 1 row"));
            }
            _ => {}
        }
        if self.stratify && !self.shuffle {
            return Err(Error::param(
                "stratify",
                true,
                "a stratified split draws rows at random within each class; set shuffle to true (as in \
                 scikit-learn, stratification is not implemented without shuffling)",
            ));
        }
        Ok(())
    }

    /// The `(n_train, n_test)` sizes for `n_rows` rows.
    fn sizes(&self, n_rows: usize) -> Result<(usize, usize)> {
        let n_test = match self.test_size {
            // `f64 -> usize` saturates; the product is below `n_rows` times a fraction < 1.
            Size::Fraction(fraction) => (fraction * n_rows as f64).ceil() as usize,
            Size::Count(count) if count >= n_rows => {
                return Err(Error::param(
                    "test_size",
                    format!("Count({count})"),
                    format!(
                        "the test set must leave rows to train on, so it must be smaller than the {n_rows} rows"
                    ),
                ));
            }
            Size::Count(count) => count,
        };
        let n_train = n_rows.saturating_sub(n_test);
        if n_train == 0 {
            return Err(Error::param(
                "test_size",
                format!("{:?}", self.test_size),
                format!(
                    "with {n_rows} rows the test set takes {n_test} rows and leaves none to train on; \
                     lower test_size or pass more rows"
                ),
            ));
        }
        Ok((n_train, n_test))
    }

    /// The split of `n_rows` rows, stratified on `stratify_codes` (one class code per row)
    /// if `stratify` is set; otherwise `stratify_codes` is only checked for length.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if a parameter is out of range
    /// ([`check`](Self::check)), if `test_size` leaves no row to train on, if `stratify`
    /// is set and `stratify_codes` is `None`, or if either set would be smaller than the
    /// number of classes; [`Error::EmptyInput`] if `n_rows == 0`;
    /// [`Error::InvalidData`] if `stratify_codes` does not have `n_rows` values, or
    /// (with `stratify`) a class has a single row.
    pub fn split(&self, n_rows: usize, stratify_codes: Option<&[usize]>) -> Result<Fold> {
        self.check()?;
        check_not_empty("TrainTestSplit", n_rows)?;
        check_len("TrainTestSplit", "stratify_codes", stratify_codes, n_rows)?;
        let (n_train, n_test) = self.sizes(n_rows)?;
        if !self.shuffle {
            return Ok(Fold {
                train: (0..n_train).collect(),
                test: (n_train..n_rows).collect(),
            });
        }
        let mut rng = SplitMix64::new(self.seed);
        if !self.stratify {
            let mut order: Vec<usize> = (0..n_rows).collect();
            rng.shuffle(&mut order);
            let mut test: Vec<usize> = order.iter().copied().take(n_test).collect();
            let mut train: Vec<usize> = order.iter().copied().skip(n_test).collect();
            test.sort_unstable();
            train.sort_unstable();
            return Ok(Fold { train, test });
        }
        let codes = required(
            "TrainTestSplit",
            "stratify_codes",
            stratify_codes,
            "the class code of every row when stratify is true",
        )?;
        stratified_split(codes, self.test_size, n_train, n_test, &mut rng)
    }
}

fn stratified_split(
    codes: &[usize],
    test_size: Size,
    n_train: usize,
    n_test: usize,
    rng: &mut SplitMix64,
) -> Result<Fold> {
    // Classes in sorted order of their codes, as scikit-learn's np.unique.
    let (class_of_row, n_classes) = codes_and_count(codes);
    let mut rows_by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (row, &class) in class_of_row.iter().enumerate() {
        if let Some(rows) = rows_by_class.get_mut(class) {
            rows.push(row);
        }
    }
    let mut singletons: Vec<usize> = codes
        .iter()
        .zip(&class_of_row)
        .filter(|&(_, &class)| rows_by_class.get(class).is_some_and(|rows| rows.len() < 2))
        .map(|(&code, _)| code)
        .collect();
    if !singletons.is_empty() {
        singletons.sort_unstable();
        return Err(Error::InvalidData(format!(
            "TrainTestSplit: the classes with codes {singletons:?} have only 1 row each, too few to put one in \
             train and one in test; drop those rows, merge rare classes, or split without stratify"
        )));
    }
    for (set, size) in [("train", n_train), ("test", n_test)] {
        if size < n_classes {
            return Err(Error::param(
                "test_size",
                format!("{test_size:?}"),
                format!(
                    "the {set} set would have {size} rows, fewer than the {n_classes} classes, so a stratified \
                     split cannot put every class in it; choose a test_size that leaves at least {n_classes} \
                     rows on each side"
                ),
            ));
        }
    }
    let counts: Vec<usize> = rows_by_class.iter().map(Vec::len).collect();
    let train_counts = allocate_train_rows(&counts, n_train, rng);
    let mut train = Vec::with_capacity(n_train);
    let mut test = Vec::with_capacity(n_test);
    for (mut rows, n_class_train) in rows_by_class.into_iter().zip(train_counts) {
        rng.shuffle(&mut rows);
        train.extend(rows.iter().copied().take(n_class_train));
        test.extend(rows.iter().copied().skip(n_class_train));
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Fold { train, test })
}

/// Train rows per class: each class's share `count * n_train / n_rows` rounded by largest
/// remainder, bounded to `1..=count - 1` so each class has a row on each side. Ties
/// between equal remainders are broken at random, as scikit-learn does.
///
/// The caller guarantees every count is at least 2 and
/// `n_classes <= n_train <= n_rows - n_classes`, so the bounds can always be met.
fn allocate_train_rows(counts: &[usize], n_train: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let n_rows: usize = counts.iter().sum();
    let tie_break: Vec<u64> = counts.iter().map(|_| rng.next_u64()).collect();
    // Shares are compared exactly: `share - allocated` times `n_rows` is an integer.
    let shortfall = |count: usize, allocated: usize| -> i128 {
        (count as i128) * (n_train as i128) - (allocated as i128) * (n_rows as i128)
    };
    let mut allocated: Vec<usize> = counts
        .iter()
        .map(|&count| {
            let floor = (count as u128 * n_train as u128 / n_rows.max(1) as u128) as usize;
            floor.clamp(1, count.saturating_sub(1).max(1))
        })
        .collect();
    let mut total: usize = allocated.iter().sum();
    while total != n_train {
        let growing = total < n_train;
        // Give a row to the class furthest below its share, or take one from the class
        // furthest above it, among those still inside their bounds.
        let pick = counts
            .iter()
            .zip(&allocated)
            .zip(&tie_break)
            .enumerate()
            .filter(|&(_, ((&count, &rows), _))| if growing { rows + 1 < count } else { rows > 1 })
            .max_by_key(|&(_, ((&count, &rows), &key))| {
                let gap = shortfall(count, rows);
                (if growing { gap } else { -gap }, key)
            })
            .map(|(class, _)| class);
        let Some(rows) = pick.and_then(|class| allocated.get_mut(class)) else {
            // Unreachable while the caller's guarantee holds; stop rather than loop.
            break;
        };
        if growing {
            *rows += 1;
            total += 1;
        } else {
            *rows -= 1;
            total -= 1;
        }
    }
    allocated
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn dealt_to_fold_matches_round_robin() {
        for n_splits in 2..6 {
            for start in 0..12 {
                for end in start..15 {
                    for fold in 0..n_splits {
                        let expected = (start..end).filter(|p| p % n_splits == fold).count();
                        assert_eq!(dealt_to_fold(start, end, fold, n_splits), expected);
                    }
                }
            }
        }
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let value = rng.below(5) as usize;
            assert!(value < 5);
            seen[value] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = SplitMix64::new(1);
        let mut items: Vec<usize> = (0..50).collect();
        rng.shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn allocation_is_largest_remainder_when_unbounded() {
        // Shares of 30 train rows among 30/7/3: 22.5, 5.25, 2.25 -> 23, 5, 2.
        let mut rng = SplitMix64::new(0);
        assert_eq!(allocate_train_rows(&[30, 7, 3], 30, &mut rng), vec![23, 5, 2]);
    }

    #[test]
    fn allocation_respects_bounds() {
        // scikit-learn would put both rows of the last class in train.
        for seed in 0..20 {
            let mut rng = SplitMix64::new(seed);
            let counts = [200, 31, 17, 5, 2];
            let train = allocate_train_rows(&counts, 217, &mut rng);
            assert_eq!(train.iter().sum::<usize>(), 217);
            for (&rows, &count) in train.iter().zip(&counts) {
                assert!(rows >= 1 && rows < count, "{train:?}");
            }
        }
        let mut rng = SplitMix64::new(3);
        // Many tiny classes pushed up to one train row each, so the big one gives back.
        let train = allocate_train_rows(&[2, 2, 2, 2, 100], 6, &mut rng);
        assert_eq!(train, vec![1, 1, 1, 1, 2]);
    }

    #[test]
    fn codes_follow_sorted_order() {
        assert_eq!(codes_and_count(&[5, 2, 5, 9]), (vec![1, 0, 1, 2], 3));
        assert_eq!(codes_and_count::<u8>(&[]), (vec![], 0));
    }
}
