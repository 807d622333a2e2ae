//! Streaming drift detectors for a running service, checked against River.
//!
//! Each detector reads one value at a time ([`StreamDetector::update`]) and says
//! whether the stream has drifted ([`DriftState::Drift`]) or, for the detectors that
//! have one, entered a warning zone ([`DriftState::Warning`]). They reproduce River's
//! (0.22 to 0.26) detectors with River's default parameters and River's semantics,
//! arithmetic order included, so that the indices at which they fire match River's
//! on the same stream:
//!
//! | detector | input | warnings | River class |
//! |---|---|---|---|
//! | [`Adwin`] | any real value | no | `river.drift.ADWIN` |
//! | [`PageHinkley`] | any real value | no | `river.drift.PageHinkley` |
//! | [`Kswin`] | any real value | no | `river.drift.KSWIN` |
//! | [`Ddm`] | error indicator in `[0, 1]` | yes | `river.drift.binary.DDM` |
//! | [`Eddm`] | error indicator `0` or `1` | yes | `river.drift.binary.EDDM` |
//! | [`HddmA`] | error indicator in `[0, 1]` | yes | `river.drift.binary.HDDM_A` |
//! | [`HddmW`] | error indicator in `[0, 1]` | yes | `river.drift.binary.HDDM_W` |
//!
//! As in River, a detector that reported a drift starts afresh (forgets the stream) at
//! its next update. [`StreamDetector::n_seen`] keeps counting across those restarts.
//!
//! Every detector is `Clone` and serde-serializable, so its state can be checkpointed
//! and resumed; [`AnyStreamDetector`] holds any of them behind one serializable type.
//!
//! ```
//! use ferrops::drift::stream::{DriftState, PageHinkley, StreamDetector};
//!
//! let mut detector = PageHinkley::default();
//! // 1000 values around 0.5, then 1000 values around 5.5.
//! let stream: Vec<f64> = (0..2000)
//!     .map(|i| if i < 1000 { (i % 2) as f64 } else { 5.0 + (i % 2) as f64 })
//!     .collect();
//! let drifts = detector.update_many(&stream);
//! assert!(drifts.first().is_some_and(|&i| i >= 1000));
//! assert_eq!(detector.n_seen(), 2000);
//! assert_eq!(detector.update(5.0), DriftState::Stable);
//! ```

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

mod adwin;
mod ddm;
mod eddm;
mod hddm;
mod kswin;
mod page_hinkley;

pub use adwin::{Adwin, AdwinParams};
pub use ddm::{Ddm, DdmParams};
pub use eddm::{Eddm, EddmParams};
pub use hddm::{HddmA, HddmAParams, HddmW, HddmWParams};
pub use kswin::{Kswin, KswinParams, KSWIN_MAX_STAT_SIZE};
pub use page_hinkley::{PageHinkley, PageHinkleyMode, PageHinkleyParams};

/// What a detector concluded after its latest update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DriftState {
    /// No change detected.
    Stable,
    /// The stream may be changing (only DDM, EDDM and HDDM issue warnings).
    Warning,
    /// A change was detected; the detector restarts at its next update.
    Drift,
}

impl DriftState {
    pub(crate) fn from_flags(drift: bool, warning: bool) -> Self {
        if drift {
            DriftState::Drift
        } else if warning {
            DriftState::Warning
        } else {
            DriftState::Stable
        }
    }
}

/// A streaming drift detector: reads a stream one value at a time.
pub trait StreamDetector: Send + Sync + Debug {
    /// Read one value and return the detector's state after it.
    ///
    /// A non-finite value (NaN or infinite) cannot be read: it is skipped, leaving the
    /// detector untouched, and [`DriftState::Stable`] is returned. Use
    /// [`StreamDetector::try_update`] to get an error instead.
    fn update(&mut self, x: f64) -> DriftState;

    /// Whether the latest update detected a drift.
    fn drift_detected(&self) -> bool;

    /// Whether the latest update put the detector in its warning zone (always `false`
    /// for ADWIN, Page-Hinkley and KSWIN, which have no warnings).
    fn warning_detected(&self) -> bool {
        false
    }

    /// Forget the stream: back to the state of a new detector (`n_seen` becomes 0).
    fn reset(&mut self);

    /// Number of values read since the detector was made or [`reset`](Self::reset)
    /// (restarts after a drift do not reset it).
    fn n_seen(&self) -> u64;

    /// Short name of the detector, e.g. `"ADWIN"`.
    fn name(&self) -> &'static str;

    /// Check that `x` is a value this detector accepts (finite, and an error indicator
    /// for the binary detectors), with an error saying why not.
    fn check(&self, x: f64) -> Result<()> {
        if x.is_finite() {
            Ok(())
        } else {
            Err(Error::InvalidData(format!(
                "{} cannot read the non-finite value {x}; drop or impute missing values before the detector",
                self.name()
            )))
        }
    }

    /// Read one value after [`check`](Self::check)ing it.
    fn try_update(&mut self, x: f64) -> Result<DriftState> {
        self.check(x)?;
        Ok(self.update(x))
    }

    /// Read every value of `xs` in order and return the (0-based) positions in `xs` at
    /// which a drift was detected. Non-finite values are skipped as in
    /// [`update`](Self::update).
    fn update_many(&mut self, xs: &[f64]) -> Vec<usize> {
        let mut drifts = Vec::new();
        for (i, &x) in xs.iter().enumerate() {
            if self.update(x) == DriftState::Drift {
                drifts.push(i);
            }
        }
        drifts
    }

    /// [`update_many`](Self::update_many) after checking every value first: on an
    /// invalid value nothing is read and the error names its position.
    fn try_update_many(&mut self, xs: &[f64]) -> Result<Vec<usize>> {
        for (row, &x) in xs.iter().enumerate() {
            if let Err(err) = self.check(x) {
                return Err(Error::InvalidValue {
                    column: "stream".to_string(),
                    row,
                    value: x.to_string(),
                    hint: err.to_string(),
                });
            }
        }
        Ok(self.update_many(xs))
    }
}

/// Check that a binary detector's input is an error indicator in `[0, 1]`.
pub(crate) fn check_unit(name: &str, x: f64) -> Result<()> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(Error::InvalidData(format!(
            "{name} reads error indicators (1 = error, 0 = correct) in [0, 1], got {x}; \
             feed it whether each prediction was wrong, or use ADWIN, Page-Hinkley or KSWIN for other values"
        )))
    }
}

/// River's `stats.Mean` with unit weights: the same update, hence the same rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunningMean {
    pub(crate) n: f64,
    pub(crate) mean: f64,
}

impl RunningMean {
    #[inline]
    pub(crate) fn update(&mut self, x: f64) {
        self.n += 1.0;
        self.mean += (1.0 / self.n) * (x - self.mean);
    }
}

/// Serde for an `f64` that may be infinite (JSON has no infinity): a number, or the
/// string `"inf"` / `"-inf"`.
pub(crate) mod nonfinite {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Text(String),
    }

    pub(crate) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else if x.is_nan() {
            s.serialize_str("nan")
        } else if *x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Num(x) => Ok(x),
            Repr::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"inf\" or \"-inf\", got {other:?}"
                ))),
            },
        }
    }
}

/// Check a probability-like parameter lies in the open interval (0, 1).
pub(crate) fn check_open_unit(name: &str, value: f64) -> Result<()> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(Error::param(name, value, "must lie strictly between 0 and 1"))
    }
}

/// Any of the built-in detectors, as one serializable type (tagged by `"type"`:
/// `"adwin"`, `"page_hinkley"`, `"kswin"`, `"ddm"`, `"eddm"`, `"hddm_a"`, `"hddm_w"`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum AnyStreamDetector {
    /// [`Adwin`].
    Adwin(Adwin),
    /// [`PageHinkley`].
    PageHinkley(PageHinkley),
    /// [`Kswin`].
    Kswin(Kswin),
    /// [`Ddm`].
    Ddm(Ddm),
    /// [`Eddm`].
    Eddm(Eddm),
    /// [`HddmA`].
    HddmA(HddmA),
    /// [`HddmW`].
    HddmW(HddmW),
}

impl AnyStreamDetector {
    /// A detector of kind `kind` (the serde tags above) from its parameters as JSON
    /// (an object whose missing fields take River's defaults, e.g. `{}` or
    /// `{"delta": 0.01}`).
    pub fn from_params_json(kind: &str, params: &str) -> Result<Self> {
        fn parse<T: for<'de> Deserialize<'de>>(kind: &str, params: &str) -> Result<T> {
            serde_json::from_str(params)
                .map_err(|e| Error::param("params", params, format!("not valid {kind} parameters: {e}")))
        }
        Ok(match kind {
            "adwin" => AnyStreamDetector::Adwin(Adwin::new(parse(kind, params)?)?),
            "page_hinkley" => AnyStreamDetector::PageHinkley(PageHinkley::new(parse(kind, params)?)?),
            "kswin" => AnyStreamDetector::Kswin(Kswin::new(parse(kind, params)?)?),
            "ddm" => AnyStreamDetector::Ddm(Ddm::new(parse(kind, params)?)?),
            "eddm" => AnyStreamDetector::Eddm(Eddm::new(parse(kind, params)?)?),
            "hddm_a" => AnyStreamDetector::HddmA(HddmA::new(parse(kind, params)?)?),
            "hddm_w" => AnyStreamDetector::HddmW(HddmW::new(parse(kind, params)?)?),
            other => {
                return Err(Error::param(
                    "kind",
                    other,
                    "unknown detector; use adwin, page_hinkley, kswin, ddm, eddm, hddm_a or hddm_w",
                ))
            }
        })
    }

    /// The detector's state as JSON (a checkpoint).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Resume a detector from [`to_json`](Self::to_json), checking its parameters.
    pub fn from_json(json: &str) -> Result<Self> {
        let det: AnyStreamDetector = serde_json::from_str(json)
            .map_err(|e| Error::Serialization(format!("not a serialized ferrops stream detector: {e}")))?;
        det.validate()?;
        Ok(det)
    }

    /// Check the parameters and the consistency of the state (after deserializing).
    pub fn validate(&self) -> Result<()> {
        match self {
            AnyStreamDetector::Adwin(d) => d.validate(),
            AnyStreamDetector::PageHinkley(d) => d.params().validate(),
            AnyStreamDetector::Kswin(d) => d.validate(),
            AnyStreamDetector::Ddm(d) => d.params().validate(),
            AnyStreamDetector::Eddm(d) => d.params().validate(),
            AnyStreamDetector::HddmA(d) => d.params().validate(),
            AnyStreamDetector::HddmW(d) => d.params().validate(),
        }
    }

    /// The detector as a trait object.
    pub fn as_detector(&self) -> &dyn StreamDetector {
        match self {
            AnyStreamDetector::Adwin(d) => d,
            AnyStreamDetector::PageHinkley(d) => d,
            AnyStreamDetector::Kswin(d) => d,
            AnyStreamDetector::Ddm(d) => d,
            AnyStreamDetector::Eddm(d) => d,
            AnyStreamDetector::HddmA(d) => d,
            AnyStreamDetector::HddmW(d) => d,
        }
    }

    /// The detector as a mutable trait object.
    pub fn as_detector_mut(&mut self) -> &mut dyn StreamDetector {
        match self {
            AnyStreamDetector::Adwin(d) => d,
            AnyStreamDetector::PageHinkley(d) => d,
            AnyStreamDetector::Kswin(d) => d,
            AnyStreamDetector::Ddm(d) => d,
            AnyStreamDetector::Eddm(d) => d,
            AnyStreamDetector::HddmA(d) => d,
            AnyStreamDetector::HddmW(d) => d,
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $d:ident => $e:expr) => {
        match $self {
            AnyStreamDetector::Adwin($d) => $e,
            AnyStreamDetector::PageHinkley($d) => $e,
            AnyStreamDetector::Kswin($d) => $e,
            AnyStreamDetector::Ddm($d) => $e,
            AnyStreamDetector::Eddm($d) => $e,
            AnyStreamDetector::HddmA($d) => $e,
            AnyStreamDetector::HddmW($d) => $e,
        }
    };
}

impl StreamDetector for AnyStreamDetector {
    fn update(&mut self, x: f64) -> DriftState {
        dispatch!(self, d => d.update(x))
    }
    fn drift_detected(&self) -> bool {
        dispatch!(self, d => d.drift_detected())
    }
    fn warning_detected(&self) -> bool {
        dispatch!(self, d => d.warning_detected())
    }
    fn reset(&mut self) {
        dispatch!(self, d => d.reset())
    }
    fn n_seen(&self) -> u64 {
        dispatch!(self, d => d.n_seen())
    }
    fn name(&self) -> &'static str {
        dispatch!(self, d => d.name())
    }
    fn check(&self, x: f64) -> Result<()> {
        dispatch!(self, d => d.check(x))
    }
    // Dispatch once, then run the concrete detector's (inlined) loop.
    fn update_many(&mut self, xs: &[f64]) -> Vec<usize> {
        dispatch!(self, d => d.update_many(xs))
    }
}
