//! Integration tests of `ferrops::drift::stream`: every detector against River's
//! detection and warning indices on the streams of River's docstrings and two longer
//! streams (`tests/fixtures/drift/stream/reference.json`, written by
//! `make_reference.py` there with River and scipy), KSWIN's p-values against scipy's
//! `ks_2samp` as River calls it, ADWIN's window widths, checkpoint and resume through
//! serde, reset, `update_many`, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use ferrops::drift::stream::{
    Adwin, AdwinParams, AnyStreamDetector, Ddm, DdmParams, DriftState, Eddm, EddmParams, HddmA, HddmAParams,
    HddmW, HddmWParams, Kswin, KswinParams, PageHinkley, PageHinkleyParams, StreamDetector,
};
use ferrops::Error;
use serde_json::Value;

fn reference() -> &'static Value {
    static REFERENCE: OnceLock<Value> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/drift/stream/reference.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["source"].as_str().unwrap().starts_with("river "));
        doc
    })
}

fn stream(name: &str) -> Vec<f64> {
    reference()["streams"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect()
}

fn cases() -> &'static [Value] {
    let cases = reference()["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    cases
}

fn detector(case: &Value) -> AnyStreamDetector {
    AnyStreamDetector::from_params_json(case["kind"].as_str().unwrap(), &case["params"].to_string()).unwrap()
}

fn label(case: &Value) -> String {
    format!(
        "{} on {}",
        case["name"].as_str().unwrap(),
        case["stream"].as_str().unwrap()
    )
}

/// Drift and warning indices, one update at a time.
fn run(det: &mut AnyStreamDetector, xs: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let (mut drifts, mut warnings) = (Vec::new(), Vec::new());
    for (i, &x) in xs.iter().enumerate() {
        let state = det.update(x);
        assert_eq!(state == DriftState::Drift, det.drift_detected());
        if det.drift_detected() {
            drifts.push(i);
        }
        if det.warning_detected() {
            warnings.push(i);
        }
    }
    (drifts, warnings)
}

#[test]
fn detections_match_river() {
    let mut checked = 0;
    for case in cases() {
        let xs = stream(case["stream"].as_str().unwrap());
        let mut det = detector(case);
        let (drifts, warnings) = run(&mut det, &xs);
        assert_eq!(drifts, indices(&case["drifts"]), "drifts of {}", label(case));
        assert_eq!(
            warnings,
            indices(&case["warnings"]),
            "warnings of {}",
            label(case)
        );
        assert_eq!(det.n_seen(), xs.len() as u64);
        checked += 1;
    }
    assert_eq!(checked, cases().len());
}

#[test]
fn river_docstring_examples() {
    // The outputs printed in River's docstrings.
    let first = |name: &str| {
        let case = cases()
            .iter()
            .find(|c| c["name"] == name && c["stream"].as_str().unwrap().ends_with("docstring"))
            .unwrap();
        let mut det = detector(case);
        let (drifts, warnings) = run(&mut det, &stream(case["stream"].as_str().unwrap()));
        (drifts.first().copied(), warnings.first().copied())
    };
    assert_eq!(first("adwin_default").0, Some(1023));
    assert_eq!(first("page_hinkley_default").0, Some(1006));
    assert_eq!(first("kswin_docstring").0, Some(1016));
    assert_eq!(first("ddm_default"), (Some(1334), Some(1084)));
    assert_eq!(first("eddm_docstring"), (Some(1278), Some(1059)));
    assert_eq!(first("hddm_a_default"), (Some(1206), Some(451)));
    assert_eq!(first("hddm_w_default"), (Some(1077), Some(451)));
}

#[test]
fn kswin_p_values_match_scipy() {
    let trace = reference()["kswin_trace"].as_u64().unwrap() as usize;
    for case in cases().iter().filter(|c| c["kind"] == "kswin") {
        let params: KswinParams = serde_json::from_value(case["params"].clone()).unwrap();
        let mut det = Kswin::new(params).unwrap();
        let expected: Vec<f64> = case["p_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(expected.len(), trace);
        let xs = stream(case["stream"].as_str().unwrap());
        let mut got = Vec::new();
        for (i, &x) in xs.iter().enumerate() {
            det.update(x);
            if i + 1 >= params.window_size && got.len() < trace {
                got.push(det.p_value());
            }
        }
        // Same arithmetic as scipy's `_compute_prob_outside_square`: bitwise equal.
        assert_eq!(got, expected, "p-values of {}", label(case));
    }
}

#[test]
fn adwin_window_matches_river() {
    let stride = reference()["adwin_stride"].as_u64().unwrap() as usize;
    for case in cases().iter().filter(|c| c["kind"] == "adwin") {
        let params: AdwinParams = serde_json::from_value(case["params"].clone()).unwrap();
        let mut det = Adwin::new(params).unwrap();
        let mut widths = Vec::new();
        for (i, &x) in stream(case["stream"].as_str().unwrap()).iter().enumerate() {
            det.update(x);
            if i % stride == 0 {
                widths.push(det.width());
            }
        }
        let expected: Vec<f64> = case["widths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(widths, expected, "widths of {}", label(case));
        let fin = &case["final"];
        assert_eq!(det.width(), fin["width"].as_f64().unwrap());
        let (total, variance) = (fin["total"].as_f64().unwrap(), fin["variance"].as_f64().unwrap());
        assert!(
            (det.total() - total).abs() <= 1e-9 * total.abs().max(1.0),
            "{}",
            label(case)
        );
        assert!(
            (det.variance() - variance).abs() <= 1e-9 * variance.abs().max(1.0),
            "{}",
            label(case)
        );
    }
}

#[test]
fn update_many_equals_single_updates() {
    for case in cases() {
        let xs = stream(case["stream"].as_str().unwrap());
        let mut det = detector(case);
        assert_eq!(det.update_many(&xs), indices(&case["drifts"]), "{}", label(case));
        let mut det = detector(case);
        // In chunks: positions are relative to each chunk.
        let mut drifts = Vec::new();
        for (c, chunk) in xs.chunks(333).enumerate() {
            drifts.extend(
                det.try_update_many(chunk)
                    .unwrap()
                    .into_iter()
                    .map(|i| i + 333 * c),
            );
        }
        assert_eq!(drifts, indices(&case["drifts"]), "{}", label(case));
    }
}

#[test]
fn checkpoint_and_resume() {
    for case in cases() {
        let xs = stream(case["stream"].as_str().unwrap());
        for split in [1, 500, 1017, xs.len() / 2 + 3] {
            let mut det = detector(case);
            let mut drifts = det.update_many(&xs[..split]);
            let json = det.to_json().unwrap();
            let mut resumed = AnyStreamDetector::from_json(&json).unwrap();
            assert_eq!(resumed.n_seen(), split as u64);
            assert_eq!(resumed.drift_detected(), det.drift_detected());
            drifts.extend(resumed.update_many(&xs[split..]).into_iter().map(|i| i + split));
            assert_eq!(
                drifts,
                indices(&case["drifts"]),
                "{} resumed at {split}",
                label(case)
            );
        }
    }
}

#[test]
fn reset_starts_afresh() {
    for case in cases() {
        let xs = stream(case["stream"].as_str().unwrap());
        let mut det = detector(case);
        det.update_many(&xs[..700]);
        det.reset();
        assert_eq!(det.n_seen(), 0);
        assert!(!det.drift_detected() && !det.warning_detected());
        assert_eq!(det.update_many(&xs), indices(&case["drifts"]), "{}", label(case));
    }
}

#[test]
fn concrete_types_and_trait_objects() {
    let xs = stream("continuous_docstring");
    let mut boxed: Vec<Box<dyn StreamDetector>> = vec![
        Box::new(Adwin::default()),
        Box::new(PageHinkley::default()),
        Box::new(
            Kswin::new(KswinParams {
                alpha: 0.0001,
                seed: Some(42),
                ..KswinParams::default()
            })
            .unwrap(),
        ),
    ];
    let firsts: Vec<Option<usize>> = boxed
        .iter_mut()
        .map(|d| d.update_many(&xs).first().copied())
        .collect();
    assert_eq!(firsts, vec![Some(1023), Some(1006), Some(1016)]);
    assert_eq!(boxed[0].name(), "ADWIN");
    let bits = stream("binary_docstring");
    let mut binary: Vec<Box<dyn StreamDetector>> = vec![
        Box::new(Ddm::default()),
        Box::new(
            Eddm::new(EddmParams {
                alpha: 0.8,
                beta: 0.75,
                ..EddmParams::default()
            })
            .unwrap(),
        ),
        Box::new(HddmA::default()),
        Box::new(HddmW::default()),
    ];
    let firsts: Vec<Option<usize>> = binary
        .iter_mut()
        .map(|d| d.update_many(&bits).first().copied())
        .collect();
    assert_eq!(firsts, vec![Some(1334), Some(1278), Some(1206), Some(1077)]);
    // After a drift the next update restarts the detector (River's semantics).
    let mut ph = PageHinkley::default();
    let at = ph.update_many(&xs[..1007]);
    assert_eq!(at, vec![1006]);
    assert!(ph.drift_detected());
    assert_eq!(ph.update(xs[1007]), DriftState::Stable);
    assert_eq!(ph.mean(), xs[1007]);
    assert_eq!(ph.n_seen(), 1008);
}

#[test]
fn kswin_without_seed_detects_the_change() {
    // No seed: a fresh Mersenne Twister seed per (re)start, as River's `seed=None`.
    // The subsample changes from run to run, but the change at 1000 is large: every run
    // must flag it within 100 values, and runs must not all draw the same subsample.
    let xs = stream("continuous_docstring");
    let mut firsts = Vec::new();
    let mut p_values = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let mut det = Kswin::new(KswinParams {
            alpha: 0.0001,
            ..KswinParams::default()
        })
        .unwrap();
        let drifts = det.update_many(&xs[..1100]);
        let first = drifts.iter().copied().find(|&i| i >= 1000);
        firsts.push(first);
        let mut det = Kswin::new(KswinParams::default()).unwrap();
        det.update_many(&xs[..150]);
        p_values.insert(det.p_value().to_bits());
    }
    assert!(firsts.iter().all(|f| f.is_some_and(|i| i < 1100)), "{firsts:?}");
    assert!(
        p_values.len() > 1,
        "20 unseeded detectors drew identical subsamples"
    );
}

#[test]
fn non_finite_values() {
    let mut det = AnyStreamDetector::Adwin(Adwin::default());
    assert_eq!(det.update(f64::NAN), DriftState::Stable);
    assert_eq!(det.n_seen(), 0);
    let err = det.try_update(f64::INFINITY).unwrap_err();
    assert!(matches!(err, Error::InvalidData(_)), "{err}");
    assert!(err.to_string().contains("non-finite"), "{err}");
    let err = det.try_update_many(&[0.0, 1.0, f64::NAN, 2.0]).unwrap_err();
    match err {
        Error::InvalidValue { row, .. } => assert_eq!(row, 2),
        other => panic!("expected InvalidValue, got {other}"),
    }
    // Nothing was read.
    assert_eq!(det.n_seen(), 0);
    // update_many skips non-finite values.
    assert_eq!(det.update_many(&[1.0, f64::NAN, 2.0]), Vec::<usize>::new());
    assert_eq!(det.n_seen(), 2);
}

#[test]
fn binary_detectors_check_their_input() {
    for kind in ["ddm", "hddm_a", "hddm_w"] {
        let mut det = AnyStreamDetector::from_params_json(kind, "{}").unwrap();
        assert!(det.try_update(0.25).is_ok());
        let err = det.try_update(2.0).unwrap_err();
        assert!(err.to_string().contains("[0, 1]"), "{kind}: {err}");
        assert!(det.try_update(-0.5).is_err());
    }
    let mut eddm = AnyStreamDetector::from_params_json("eddm", "{}").unwrap();
    assert!(eddm.try_update(1.0).is_ok() && eddm.try_update(0.0).is_ok());
    assert!(eddm.try_update(0.5).is_err());
    // The continuous detectors take any finite value.
    let mut ph = AnyStreamDetector::from_params_json("page_hinkley", "{}").unwrap();
    assert!(ph.try_update(-1e300).is_ok());
}

fn param_error(result: ferrops::Result<impl std::fmt::Debug>, name: &str) {
    match result {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected an invalid `{name}`, got {other:?}"),
    }
}

#[test]
fn parameters_are_validated() {
    param_error(
        Adwin::new(AdwinParams {
            delta: 0.0,
            ..Default::default()
        }),
        "delta",
    );
    param_error(
        Adwin::new(AdwinParams {
            delta: 1.5,
            ..Default::default()
        }),
        "delta",
    );
    param_error(
        Adwin::new(AdwinParams {
            clock: 0,
            ..Default::default()
        }),
        "clock",
    );
    param_error(
        Adwin::new(AdwinParams {
            max_buckets: 0,
            ..Default::default()
        }),
        "max_buckets",
    );
    param_error(
        Adwin::new(AdwinParams {
            min_window_length: 0,
            ..Default::default()
        }),
        "min_window_length",
    );
    param_error(
        PageHinkley::new(PageHinkleyParams {
            threshold: -1.0,
            ..Default::default()
        }),
        "threshold",
    );
    param_error(
        PageHinkley::new(PageHinkleyParams {
            alpha: 1.5,
            ..Default::default()
        }),
        "alpha",
    );
    param_error(
        PageHinkley::new(PageHinkleyParams {
            delta: f64::NAN,
            ..Default::default()
        }),
        "delta",
    );
    param_error(
        Kswin::new(KswinParams {
            alpha: 0.0,
            ..Default::default()
        }),
        "alpha",
    );
    param_error(
        Kswin::new(KswinParams {
            stat_size: 0,
            ..Default::default()
        }),
        "stat_size",
    );
    param_error(
        Kswin::new(KswinParams {
            stat_size: 20_000,
            window_size: 50_000,
            ..Default::default()
        }),
        "stat_size",
    );
    param_error(
        Kswin::new(KswinParams {
            window_size: 50,
            stat_size: 30,
            ..Default::default()
        }),
        "window_size",
    );
    param_error(
        Ddm::new(DdmParams {
            warning_threshold: 0.0,
            ..Default::default()
        }),
        "warning_threshold",
    );
    param_error(
        Ddm::new(DdmParams {
            drift_threshold: 1.0,
            ..Default::default()
        }),
        "drift_threshold",
    );
    param_error(
        Eddm::new(EddmParams {
            alpha: 0.8,
            beta: 0.9,
            ..Default::default()
        }),
        "beta",
    );
    param_error(
        Eddm::new(EddmParams {
            alpha: 1.2,
            ..Default::default()
        }),
        "alpha",
    );
    param_error(
        HddmA::new(HddmAParams {
            drift_confidence: 0.0,
            ..Default::default()
        }),
        "drift_confidence",
    );
    param_error(
        HddmA::new(HddmAParams {
            drift_confidence: 0.01,
            warning_confidence: 0.005,
            ..Default::default()
        }),
        "warning_confidence",
    );
    param_error(
        HddmW::new(HddmWParams {
            lambda_val: 1.0,
            ..Default::default()
        }),
        "lambda_val",
    );
    param_error(AnyStreamDetector::from_params_json("cusum", "{}"), "kind");
    param_error(
        AnyStreamDetector::from_params_json("adwin", "{\"deltaa\": 0.1}"),
        "params",
    );
    param_error(
        AnyStreamDetector::from_params_json("page_hinkley", "{\"mode\": \"sideways\"}"),
        "params",
    );
    // A tampered checkpoint is refused.
    let json = AnyStreamDetector::Adwin(Adwin::default()).to_json().unwrap();
    let bad = json.replace("\"delta\":0.002", "\"delta\":2.0");
    assert_ne!(bad, json);
    param_error(AnyStreamDetector::from_json(&bad), "delta");
    assert!(matches!(
        AnyStreamDetector::from_json("{\"type\": \"adwin\"}"),
        Err(Error::Serialization(_))
    ));
}

#[test]
fn page_hinkley_mode_parses() {
    use ferrops::drift::stream::PageHinkleyMode;
    assert_eq!("up".parse::<PageHinkleyMode>().unwrap(), PageHinkleyMode::Up);
    assert_eq!("both".parse::<PageHinkleyMode>().unwrap(), PageHinkleyMode::Both);
    param_error("left".parse::<PageHinkleyMode>(), "mode");
}
