//! Power transforms: `log1p`, and scikit-learn's Yeo-Johnson `PowerTransformer`.

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::columnwise::columnwise_fitted_transform;
use super::kbins::{map_output_schema, map_row, map_transform, MapColumns};
use super::scale::{is_constant_feature, mean_var};
use super::{fit_values, Columns, Columnwise, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{index_of, is_bool, is_numeric};
use crate::error::{Error, Result};

/// Resolve `columns` and check that each is numeric (or boolean).
fn numeric_columns(columns: &Columns, table: &RecordBatch) -> Result<Vec<String>> {
    let schema = table.schema_ref();
    let names = columns.resolve(schema)?;
    for name in &names {
        let dt = schema.field(index_of(schema, name)?).data_type();
        if !(is_numeric(dt) || is_bool(dt)) {
            return Err(Error::column_type(name, "a numeric column", dt));
        }
    }
    Ok(names)
}

// ---------------------------------------------------------------------------
// Log1p

/// `ln(1 + x)` of numeric columns (numpy's `log1p`), e.g. for skewed counts or amounts.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to transform |
///
/// Nothing is learnt at fit. A value `x <= -1` at transform (including `-inf`) is an
/// [`Error::InvalidValue`] naming the column and row (numpy would return `-inf` or
/// NaN with a warning). Nulls stay null, NaN stays NaN, `+inf` stays `+inf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Log1p {
    /// Columns to transform.
    pub columns: Columns,
}

impl Default for Log1p {
    fn default() -> Self {
        Log1p {
            columns: Columns::AllNumeric,
        }
    }
}

impl Log1p {
    /// Transform `columns`.
    pub fn new(columns: impl Into<Columns>) -> Self {
        Log1p {
            columns: columns.into(),
        }
    }
}

/// A fitted [`Log1p`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLog1p {
    /// The transformed columns.
    pub columns: Vec<String>,
}

#[typetag::serde(name = "log1p")]
impl FeatureTransform for Log1p {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        Ok(Box::new(FittedLog1p {
            columns: numeric_columns(&self.columns, table)?,
        }))
    }
}

impl MapColumns for FittedLog1p {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn map(&self, j: usize, row: usize, x: f64) -> Result<Option<f64>> {
        if x <= -1.0 {
            return Err(Error::InvalidValue {
                column: self.columns.get(j).cloned().unwrap_or_default(),
                row,
                value: x.to_string(),
                hint: "log1p needs values > -1: shift or clip the column first".to_string(),
            });
        }
        Ok(Some(x.ln_1p()))
    }
}

#[typetag::serde(name = "log1p")]
impl FittedTransform for FittedLog1p {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        map_output_schema(self, input)
    }
    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        map_transform(self, table)
    }
    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        map_row(self, input)
    }
}

// ---------------------------------------------------------------------------
// PowerTransformer (Yeo-Johnson)

/// Make numeric columns more Gaussian-like with the Yeo-Johnson power transform, as
/// scikit-learn's `PowerTransformer(method="yeo-johnson")`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to transform |
/// | `standardize` | `true` | then scale to zero mean, unit variance (a `StandardScaler` fitted on the transformed column) |
///
/// Each column's `lambda` maximises the Yeo-Johnson profile log-likelihood, found as
/// scipy >= 1.12 does (`yeojohnson_normmax`: bounded Brent, `fminbound` with its
/// overflow-safe bounds and `xtol = 1.48e-8`), ported step by step. Tested against
/// scikit-learn 1.9.1 / scipy 1.17.1: lambdas agree to 1e-6 (absolute) and outputs to
/// 1e-6 (relative); in practice lambdas differ by ~1e-8 (the optimiser's tolerance:
/// numpy's `expm1` and the system `expm1` can differ by an ulp, and the likelihood is
/// flat at its optimum) and outputs by ~1e-8 (relative). A constant column gets `lambda = 1` (the
/// identity) and an all-zero one too.
///
/// Missing values (null, NaN) are ignored when fitting and stay missing; infinities at
/// fit are an error. One deliberate difference: scikit-learn's constant-column test
/// sees NaN as non-constant, so a constant column with missing values gets an
/// optimised lambda there and `lambda = 1` here. Box-Cox is not supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PowerTransformer {
    /// Columns to transform.
    pub columns: Columns,
    /// Standardise the transformed columns.
    pub standardize: bool,
}

impl Default for PowerTransformer {
    fn default() -> Self {
        PowerTransformer {
            columns: Columns::AllNumeric,
            standardize: true,
        }
    }
}

impl PowerTransformer {
    /// Transform `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        PowerTransformer {
            columns: columns.into(),
            ..Default::default()
        }
    }
}

/// A fitted [`PowerTransformer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPowerTransformer {
    /// The transformed columns.
    pub columns: Vec<String>,
    /// Per-column Yeo-Johnson lambda.
    pub lambdas: Vec<f64>,
    /// Per-column mean of the transformed values (0 without `standardize`).
    pub mean: Vec<f64>,
    /// Per-column standard deviation of the transformed values (1 without
    /// `standardize` or for a constant result).
    pub scale: Vec<f64>,
}

/// scipy's `_yeojohnson_transform` of one value.
pub(crate) fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    let eps = f64::EPSILON;
    if x >= 0.0 {
        if lambda.abs() < eps {
            x.ln_1p()
        } else {
            (lambda * x.ln_1p()).exp_m1() / lambda
        }
    } else if (lambda - 2.0).abs() > eps {
        -((2.0 - lambda) * (-x).ln_1p()).exp_m1() / (2.0 - lambda)
    } else {
        -(-x).ln_1p()
    }
}

/// numpy's `sign`.
fn np_sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        f64::NAN
    }
}

/// numpy's pairwise summation (`np.sum` of a contiguous `float64` array), so the
/// flat log-likelihood near its optimum is evaluated bit for bit as scipy does and
/// Brent takes the same steps.
fn np_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |s, v| s + v)
    } else if n <= BLOCK {
        let mut r = [0.0_f64; 8];
        for (r, v) in r.iter_mut().zip(a) {
            *r = *v;
        }
        let full = n - n % 8;
        for chunk in a.get(8..full).unwrap_or(&[]).chunks_exact(8) {
            for (r, v) in r.iter_mut().zip(chunk) {
                *r += v;
            }
        }
        let [r0, r1, r2, r3, r4, r5, r6, r7] = r;
        let mut res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
        for v in a.get(full..).unwrap_or(&[]) {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let (lo, hi) = a.split_at(n2);
        np_sum(lo) + np_sum(hi)
    }
}

/// scipy's `yeojohnson_normmax._neg_llf`: minus the Yeo-Johnson log-likelihood, with
/// infinite likelihoods (near-zero variance) rejected as `+inf`.
fn neg_llf(lambda: f64, x: &[f64], sum_sign_log: f64) -> f64 {
    let n = x.len() as f64;
    let y: Vec<f64> = x.iter().map(|&v| yeo_johnson(v, lambda)).collect();
    // np.var: mean, then the mean of the squared deviations, both with numpy's sum.
    let mean = np_sum(&y) / n;
    let squares: Vec<f64> = y.iter().map(|v| (v - mean) * (v - mean)).collect();
    let var = np_sum(&squares) / n;
    let log_sigma = if var >= f64::MIN_POSITIVE {
        var.ln()
    } else {
        f64::NEG_INFINITY
    };
    let mut llf = -n / 2.0 * log_sigma + (lambda - 1.0) * sum_sign_log;
    if llf.is_infinite() {
        llf = f64::NEG_INFINITY;
    }
    -llf
}

/// scipy's `optimize.fminbound` (`_minimize_scalar_bounded`): Brent's bounded
/// minimisation of `f` on `[x1, x2]`, ported line by line.
fn fminbound(f: impl Fn(f64) -> f64, x1: f64, x2: f64, xatol: f64, maxfun: usize) -> f64 {
    let sqrt_eps = 2.2e-16_f64.sqrt();
    let golden_mean = 0.5 * (3.0 - 5.0_f64.sqrt());
    let (mut a, mut b) = (x1, x2);
    let mut fulc = a + golden_mean * (b - a);
    let (mut nfc, mut xf) = (fulc, fulc);
    let (mut rat, mut e) = (0.0_f64, 0.0_f64);
    let mut fx = f(xf);
    let mut num = 1;
    let (mut ffulc, mut fnfc) = (fx, fx);
    let mut xm = 0.5 * (a + b);
    let mut tol1 = sqrt_eps * xf.abs() + xatol / 3.0;
    let mut tol2 = 2.0 * tol1;

    while (xf - xm).abs() > (tol2 - 0.5 * (b - a)) {
        let mut golden = true;
        // Check for parabolic fit.
        if e.abs() > tol1 {
            golden = false;
            let mut r = (xf - nfc) * (fx - ffulc);
            let mut q = (xf - fulc) * (fx - fnfc);
            let mut p = (xf - fulc) * q - (xf - nfc) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            r = e;
            e = rat;
            // Check for acceptability of the parabola.
            if p.abs() < (0.5 * q * r).abs() && p > q * (a - xf) && p < q * (b - xf) {
                rat = (p + 0.0) / q;
                let x = xf + rat;
                if (x - a) < tol2 || (b - x) < tol2 {
                    let si = np_sign(xm - xf) + if xm - xf == 0.0 { 1.0 } else { 0.0 };
                    rat = tol1 * si;
                }
            } else {
                golden = true;
            }
        }
        if golden {
            e = if xf >= xm { a - xf } else { b - xf };
            rat = golden_mean * e;
        }
        let si = np_sign(rat) + if rat == 0.0 { 1.0 } else { 0.0 };
        // np.maximum propagates NaN.
        let step = if rat.is_nan() {
            f64::NAN
        } else {
            rat.abs().max(tol1)
        };
        let x = xf + si * step;
        let fu = f(x);
        num += 1;

        if fu <= fx {
            if x >= xf {
                a = xf;
            } else {
                b = xf;
            }
            fulc = nfc;
            ffulc = fnfc;
            nfc = xf;
            fnfc = fx;
            xf = x;
            fx = fu;
        } else {
            if x < xf {
                a = x;
            } else {
                b = x;
            }
            if fu <= fnfc || nfc == xf {
                fulc = nfc;
                ffulc = fnfc;
                nfc = x;
                fnfc = fu;
            } else if fu <= ffulc || fulc == xf || fulc == nfc {
                fulc = x;
                ffulc = fu;
            }
        }
        xm = 0.5 * (a + b);
        tol1 = sqrt_eps * xf.abs() + xatol / 3.0;
        tol2 = 2.0 * tol1;
        if num >= maxfun {
            break;
        }
    }
    xf
}

/// scipy's `yeojohnson_normmax(x)` (scipy >= 1.12, `brack=None`) for finite,
/// NaN-free, non-empty `x`.
pub(crate) fn yeo_johnson_lambda(x: &[f64]) -> f64 {
    if x.iter().all(|&v| v == 0.0) {
        return 1.0;
    }
    let max_abs = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    // Allow values up to 20 times the largest observed to be transformed without
    // over- or underflow (scipy's bounds).
    let log1p_max_x = (20.0 * max_abs).ln_1p();
    let log_eps = f64::EPSILON.ln();
    let log_tiny_float = (f64::MIN_POSITIVE.ln() - log_eps) / 2.0;
    let log_max_float = (f64::MAX.ln() + log_eps) / 2.0;
    let mut lb = log_tiny_float / log1p_max_x;
    let mut ub = log_max_float / log1p_max_x;
    if x.iter().all(|&v| v < 0.0) {
        (lb, ub) = (2.0 - ub, 2.0 - lb);
    } else if x.iter().any(|&v| v < 0.0) {
        (lb, ub) = ((2.0 - ub).max(lb), (2.0 - lb).min(ub));
    }
    let sign_log: Vec<f64> = x.iter().map(|&v| np_sign(v) * v.abs().ln_1p()).collect();
    let sum_sign_log = np_sum(&sign_log);
    fminbound(|l| neg_llf(l, x, sum_sign_log), lb, ub, 1.48e-8, 500)
}

#[typetag::serde(name = "power_transformer")]
impl FeatureTransform for PowerTransformer {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        let columns = numeric_columns(&self.columns, table)?;
        let mut fitted = FittedPowerTransformer {
            columns: Vec::with_capacity(columns.len()),
            lambdas: Vec::new(),
            mean: Vec::new(),
            scale: Vec::new(),
        };
        for name in columns {
            let values = fit_values(table, &name, "PowerTransformer")?;
            let (mean, var) = mean_var(&values);
            let lambda = if is_constant_feature(var, mean, values.len()) {
                1.0
            } else {
                yeo_johnson_lambda(&values)
            };
            let (mean, scale) = if self.standardize {
                let y: Vec<f64> = values.iter().map(|&v| yeo_johnson(v, lambda)).collect();
                let (m, v) = mean_var(&y);
                let scale = if is_constant_feature(v, m, y.len()) {
                    1.0
                } else {
                    v.sqrt()
                };
                (m, scale)
            } else {
                (0.0, 1.0)
            };
            if !(lambda.is_finite() && mean.is_finite() && scale.is_finite()) {
                return Err(Error::InvalidData(format!(
                    "PowerTransformer: column `{name}` overflows when transformed (lambda {lambda}); \
                     rescale it first"
                )));
            }
            fitted.lambdas.push(lambda);
            fitted.mean.push(mean);
            fitted.scale.push(scale);
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl Columnwise for FittedPowerTransformer {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn apply(&self, j: usize, x: f64) -> f64 {
        let lambda = self.lambdas.get(j).copied().unwrap_or(f64::NAN);
        let mean = self.mean.get(j).copied().unwrap_or(f64::NAN);
        let scale = self.scale.get(j).copied().unwrap_or(f64::NAN);
        (yeo_johnson(x, lambda) - mean) / scale
    }
}

columnwise_fitted_transform!(FittedPowerTransformer, "power_transformer");

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::scale::testutil::*;
    use super::*;
    use crate::data::Value;

    const N: Option<f64> = None;
    const NAN: Option<f64> = Some(f64::NAN);

    fn fit_table() -> RecordBatch {
        table(vec![
            (
                "a",
                f64col(&[
                    Some(0.1),
                    Some(2.5),
                    Some(3.7),
                    Some(0.0),
                    Some(12.0),
                    Some(50.0),
                    Some(1.2),
                    N,
                    Some(7.7),
                    Some(0.9),
                ]),
            ),
            (
                "b",
                f64col(&[
                    Some(-3.0),
                    Some(1.0),
                    Some(-0.5),
                    Some(2.0),
                    Some(4.0),
                    Some(-10.0),
                    Some(0.3),
                    Some(1.5),
                    NAN,
                    Some(6.0),
                ]),
            ),
            ("s", strcol(&["x"; 10])),
            (
                "c",
                f64col(&[
                    Some(-1.0),
                    Some(-2.0),
                    Some(-4.0),
                    Some(-8.0),
                    Some(-16.0),
                    Some(-0.5),
                    Some(-3.0),
                    Some(-1.5),
                    Some(-6.0),
                    Some(-30.0),
                ]),
            ),
        ])
    }

    fn test_table() -> RecordBatch {
        table(vec![
            ("a", f64col(&[Some(-2.0), Some(100.0), Some(0.0), NAN])),
            ("b", f64col(&[Some(-20.0), Some(20.0), Some(0.0), Some(1.0)])),
            ("s", strcol(&["x"; 4])),
            ("c", f64col(&[Some(1.0), Some(-50.0), Some(0.0), N])),
        ])
    }

    // reference: sklearn 1.9.1 / scipy 1.17.1 PowerTransformer(standardize=...).fit(X)
    // with X = [a, b, c] of fit_table (NaN for missing); lambdas_, transform(X),
    // transform(T).
    const LAMBDAS: [f64; 3] = [-0.3109384754354135, 1.2941865577784577, 2.3262698665675074];

    #[allow(clippy::type_complexity)]
    fn check(standardize: bool, want: [(&str, &[Option<f64>], &[Option<f64>]); 3]) {
        let params = PowerTransformer {
            standardize,
            ..PowerTransformer::new(["a", "b", "c"])
        };
        let fitted = params.fit(&fit_table()).unwrap();
        let json = serde_json::to_value(&fitted).unwrap();
        let lambdas: Vec<f64> = serde_json::from_value(json["lambdas"].clone()).unwrap();
        for (g, w) in lambdas.iter().zip(LAMBDAS) {
            assert!((g - w).abs() < 1e-6, "lambda {g} vs {w}");
        }
        let o = fitted.transform(&fit_table()).unwrap();
        let t = fitted.transform(&test_table()).unwrap();
        for (name, train, test) in want {
            assert_close(&out(&o, name), train, 1e-6);
            assert_close(&out(&t, name), test, 1e-6);
        }
        check_row_path(fitted.as_ref(), &fit_table());
        check_row_path(fitted.as_ref(), &test_table());
        let back = roundtrip(fitted.as_ref());
        assert_eq!(back.transform(&test_table()).unwrap(), t);
    }

    #[test]
    fn lambdas_match_scipy_closely() {
        let cols: [&[f64]; 3] = [
            &[0.1, 2.5, 3.7, 0.0, 12.0, 50.0, 1.2, 7.7, 0.9],
            &[-3.0, 1.0, -0.5, 2.0, 4.0, -10.0, 0.3, 1.5, 6.0],
            &[-1.0, -2.0, -4.0, -8.0, -16.0, -0.5, -3.0, -1.5, -6.0, -30.0],
        ];
        for (x, want) in cols.iter().zip(LAMBDAS) {
            // The likelihood is flat at its optimum: numpy's expm1 differs from libm's
            // by an ulp on some inputs, which moves Brent's answer within its xtol
            // (1.48e-8). Observed difference here: ~1e-8.
            let got = yeo_johnson_lambda(x);
            assert!((got - want).abs() < 5e-8, "{got} vs {want}");
        }
    }

    #[test]
    fn standardized_matches_sklearn() {
        check(
            true,
            [
                (
                    "a",
                    &[
                        Some(-1.2978086012643146),
                        Some(0.013290002525148316),
                        Some(0.27839281529892174),
                        Some(-1.4282849444429615),
                        Some(1.0273085051608244),
                        Some(1.724169835967443),
                        Some(-0.45678902348677525),
                        N,
                        Some(0.7595976593037598),
                        Some(-0.6198762490620464),
                    ],
                    &[
                        Some(-8.44122757845508),
                        Some(1.9760254516619746),
                        Some(-1.4282849444429615),
                        N,
                    ],
                ),
                (
                    "b",
                    &[
                        Some(-0.8695753757590707),
                        Some(-0.0180796437250459),
                        Some(-0.4081340734494212),
                        Some(0.3023491724543818),
                        Some(1.0376479755735624),
                        Some(-1.832187106431388),
                        Some(-0.21653606305299933),
                        Some(0.13739567641135553),
                        N,
                        Some(1.8671194379786256),
                    ],
                    &[
                        Some(-2.923178922369102),
                        Some(9.255597107372518),
                        Some(-0.29309416701415353),
                        Some(-0.0180796437250459),
                    ],
                ),
                (
                    "c",
                    &[
                        Some(1.132464325848912),
                        Some(0.541235294175849),
                        Some(-0.1004807818009653),
                        Some(-0.7179532713250447),
                        Some(-1.265294428722661),
                        Some(1.6019975619520432),
                        Some(0.16673744923192552),
                        Some(0.7974347857419064),
                        Some(-0.46835989713884557),
                        Some(-1.687781037963122),
                    ],
                    &[
                        Some(5.711961114334631),
                        Some(-1.9802888512251173),
                        Some(2.3432613215903433),
                        N,
                    ],
                ),
            ],
        );
    }

    #[test]
    fn unstandardized_matches_sklearn() {
        check(
            false,
            [
                (
                    "a",
                    &[
                        Some(0.09391174110015167),
                        Some(1.037588959791522),
                        Some(1.2283995397910308),
                        Some(0.0),
                        Some(1.7674396037500166),
                        Some(2.26901298699401),
                        Some(0.6992445617806197),
                        N,
                        Some(1.5747518640928118),
                        Some(0.5818607898887554),
                    ],
                    &[Some(-5.047640338094209), Some(2.4502887554552686), Some(0.0), N],
                ),
                (
                    "b",
                    &[
                        Some(-2.352420424930371),
                        Some(1.1222391500779167),
                        Some(-0.46943806922967374),
                        Some(2.4297983219680814),
                        Some(5.430298419187715),
                        Some(-6.2805059586136025),
                        Some(0.31240714306067097),
                        Some(1.756680157197186),
                        N,
                        Some(8.815084567389704),
                    ],
                    &[
                        Some(-10.73246621735531),
                        Some(38.96490647826285),
                        Some(0.0),
                        Some(1.1222391500779167),
                    ],
                ),
                (
                    "c",
                    &[
                        Some(-0.620357535299125),
                        Some(-0.9232765103015332),
                        Some(-1.2520627598999063),
                        Some(-1.5684276939585755),
                        Some(-1.8488605101657498),
                        Some(-0.37978997350764876),
                        Some(-1.115152242469157),
                        Some(-0.7920114958591375),
                        Some(-1.4405473548251535),
                        Some(-2.0653235114179163),
                    ],
                    &[Some(1.7259691822325935), Some(-2.215191265243843), Some(0.0), N],
                ),
            ],
        );
    }

    #[test]
    fn power_edge_cases() {
        // Constant and all-zero columns: lambda 1 (sklearn: lambdas_ == [1, 1]), output 0.
        let t = table(vec![
            ("z", f64col(&[Some(0.0); 4])),
            ("k", f64col(&[Some(2.0); 4])),
        ]);
        let f = PowerTransformer::default().fit(&t).unwrap();
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["lambdas"], serde_json::json!([1.0, 1.0]));
        assert_close(&out(&f.transform(&t).unwrap(), "k"), &[Some(0.0); 4], 0.0);
        // Errors.
        let p = PowerTransformer::new(["a"]);
        for (col, want) in [
            (f64col(&[N, NAN]), "empty"),
            (f64col(&[]), "empty"),
            (f64col(&[Some(1.0), Some(f64::INFINITY)]), "inf"),
            (strcol(&["x"]), "type"),
        ] {
            let r = p.fit(&table(vec![("a", col)]));
            match want {
                "empty" => assert!(matches!(r, Err(Error::EmptyInput { .. })), "{r:?}"),
                "inf" => assert!(matches!(r, Err(Error::InvalidValue { row: 1, .. })), "{r:?}"),
                _ => assert!(matches!(r, Err(Error::ColumnType { .. })), "{r:?}"),
            }
        }
    }

    #[test]
    #[allow(clippy::approx_constant)] // -ln 2 as numpy prints it: a reference value
    fn log1p() {
        // reference: numpy 2.4.6 np.log1p([0.0, 1.5, -0.5, 1e-10])
        let t = table(vec![
            (
                "a",
                f64col(&[Some(0.0), Some(1.5), Some(-0.5), Some(1e-10), N, NAN]),
            ),
            ("s", strcol(&["x"; 6])),
        ]);
        let f = Log1p::new(["a"]).fit(&t).unwrap();
        let o = f.transform(&t).unwrap();
        assert_close(
            &out(&o, "a"),
            &[
                Some(0.0),
                Some(0.9162907318741551),
                Some(-0.6931471805599453),
                Some(9.999999999500001e-11),
                N,
                N,
            ],
            1e-15,
        );
        assert_eq!(nulls(&o, "a"), [false, false, false, false, true, false]);
        check_row_path(f.as_ref(), &t);
        roundtrip(f.as_ref());
        // x <= -1 at transform: an error naming column and row, in both paths.
        let bad = table(vec![
            ("a", f64col(&[Some(1.0), Some(-1.0)])),
            ("s", strcol(&["x"; 2])),
        ]);
        match f.transform(&bad) {
            Err(Error::InvalidValue { column, row, .. }) => assert_eq!((column.as_str(), row), ("a", 1)),
            other => panic!("{other:?}"),
        }
        let rt = f.row_transform(bad.schema_ref()).unwrap().unwrap();
        let mut row = vec![Value::Float(-3.0), Value::Str("x".into())];
        assert!(matches!(rt.apply(&mut row), Err(Error::InvalidValue { .. })));
        let mut row = vec![Value::Float(f64::NEG_INFINITY), Value::Str("x".into())];
        assert!(matches!(rt.apply(&mut row), Err(Error::InvalidValue { .. })));
        // Types, and an empty table is fine (nothing to learn).
        let s = table(vec![("a", strcol(&["x"]))]);
        assert!(matches!(Log1p::new(["a"]).fit(&s), Err(Error::ColumnType { .. })));
        assert!(matches!(f.transform(&s), Err(Error::ColumnType { .. })));
        let e = table(vec![("a", f64col(&[]))]);
        let fe = Log1p::default().fit(&e).unwrap();
        assert_eq!(fe.transform(&e).unwrap().num_rows(), 0);
    }

    #[test]
    fn serde_params() {
        assert_eq!(
            params_json(&Log1p::new(["a"])),
            r#"{"type":"log1p","columns":{"names":["a"]}}"#
        );
        assert_eq!(
            params_json(&PowerTransformer::default()),
            r#"{"type":"power_transformer","columns":"all_numeric","standardize":true}"#
        );
    }
}
