//! The main job: ingest a real dataset, validate the data against a schema inferred from
//! the training rows, tune and fit a pipeline by cross-validated grid search, gate it
//! against a baseline on held-out rows (overall and per island), save it as a verified
//! artifact, load it back and serve single rows.
//!
//! Run from the repository root: `cargo run --release -p ferrops --example penguins`.
//!
//! Data: `examples/data/penguins.csv`, the Palmer penguins (Horst, Hill & Gorman, 2020;
//! CC0), copied from the `palmerpenguins` package on PyPI. See `examples/data/README.md`.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use arrow::array::{Array, AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use ferrops::prelude::*;
use ferrops::validate::cv::{cross_validate, make_folds, CvOptions, Scorer};
use ferrops::validate::data::{validate, InferOptions, Schema};
use ferrops::validate::gate::{evaluate_pipeline, Gate, Threshold};
use ferrops::validate::search::{grid_candidates, search, ParamGrid, SearchOptions};
use ferrops::validate::split::StratifiedKFold;

fn main() -> ferrops::Result<()> {
    // The repository root (this example belongs to crates/core).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."));
    let data = root.join("examples/data/penguins.csv");

    // 1. Ingest: "NA" marks a missing value in this file.
    let table = read_csv(&data, &CsvOptions::default().with_null_values(["NA"]))?;
    println!(
        "read {} rows x {} columns from {}",
        table.num_rows(),
        table.num_columns(),
        data.display()
    );
    for field in table.schema().fields() {
        let nulls = table.column_by_name(field.name()).map_or(0, |c| c.null_count());
        println!(
            "  {:<18} {:<8} {} missing",
            field.name(),
            field.data_type().to_string(),
            nulls
        );
    }

    // 2. A deterministic 70/30 split (every row's fate depends only on its index).
    let in_train: Vec<bool> = (0..table.num_rows()).map(|i| (i * 7919 + 13) % 10 < 7).collect();
    let train = filter_record_batch(&table, &BooleanArray::from(in_train.clone()))?;
    let test_mask: Vec<bool> = in_train.iter().map(|t| !t).collect();
    let test = filter_record_batch(&table, &BooleanArray::from(test_mask))?;
    println!(
        "\nsplit: {} training rows, {} held-out rows",
        train.num_rows(),
        test.num_rows()
    );

    // 3. Data validation: a schema inferred from the training rows (types, null limits,
    //    ranges, category domains), then the held-out rows checked against it. A failed
    //    verdict stops the job here.
    //    A sample's min and max are not the population's: widen the inferred ranges by
    //    10% of their width on each side.
    let schema = Schema::infer(
        &train,
        &InferOptions {
            range_margin: 0.1,
            ..InferOptions::default()
        },
    )?;
    let report = validate(&schema, &test)?;
    println!(
        "\ndata validation of the held-out rows: {} ({} anomalies)",
        if report.passed() { "passed" } else { "FAILED" },
        report.anomalies.len()
    );
    for anomaly in &report.anomalies {
        println!("  {anomaly}");
    }
    if !report.passed() {
        return Err(Error::InvalidData(
            "the held-out rows fail data validation".into(),
        ));
    }

    // 4. The pipeline: impute the measurements, scale every numeric column (year too),
    //    one-hot the island and sex (a missing sex is its own category), multinomial
    //    logistic regression on the species. Cross-validated on the training rows: every
    //    fold fits the whole pipeline on its own rows.
    let numeric = [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    ];
    let pipeline = Pipeline::new()
        .transform(SimpleImputer::median(numeric))
        .transform(StandardScaler::new(Columns::AllNumeric))
        .transform(OneHotEncoder::new(["island", "sex"]))
        .train(LogisticRegression::default());
    let folds = make_folds(&StratifiedKFold::new(5), &train, "species", true, None)?;
    let scoring = vec![Scorer::Accuracy, Scorer::NegLogLoss];
    let cv = cross_validate(
        &pipeline,
        &train,
        "species",
        &folds,
        &CvOptions::new(scoring.clone()),
    )?;
    println!(
        "\n5-fold cross-validation (C = 1): accuracy {:.3} ± {:.3}, log loss {:.4}",
        cv.mean(Scorer::Accuracy).unwrap_or(f64::NAN),
        cv.std(Scorer::Accuracy).unwrap_or(f64::NAN),
        -cv.mean(Scorer::NegLogLoss).unwrap_or(f64::NAN)
    );

    // 5. Tune C by grid search over the same folds, ranked by log loss; the best candidate
    //    is refitted on every training row.
    let grid = ParamGrid::new().param("trainer.c", [0.01, 0.1, 1.0, 10.0, 100.0]);
    let options = SearchOptions::new(CvOptions::new(scoring))
        .rank_by(Scorer::NegLogLoss)
        .refit(true);
    let started = Instant::now();
    let results = search(
        grid_candidates(&pipeline, &[grid])?,
        &train,
        "species",
        &folds,
        &options,
    )?;
    println!(
        "grid search: {} candidates x {} folds in {:.0} ms",
        results.trials.len(),
        folds.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    for trial in &results.trials {
        // Scores are in the order of `scoring`: accuracy, then the negated log loss.
        let score = |i: usize| trial.mean_test.get(i).copied().unwrap_or(f64::NAN);
        println!(
            "  C = {:<6} log loss {:.4} ± {:.4}  accuracy {:.3}  rank {}",
            trial.params.first().map(|p| p.1.to_string()).unwrap_or_default(),
            -score(1),
            trial.std_test.get(1).copied().unwrap_or(f64::NAN),
            score(0),
            trial.rank.map_or("-".to_string(), |r| r.to_string())
        );
    }
    let fitted = results
        .refitted
        .ok_or_else(|| Error::InvalidData("the search did not refit a best pipeline".into()))?;
    println!("model inputs: {:?}", fitted.feature_names_out());

    // 6. Gate the tuned model on the held-out rows against a baseline (the untuned
    //    pipeline, as a champion would be): absolute floors, and no worse than the
    //    baseline by more than a small slack, overall and on every island.
    let baseline = pipeline.fit(&train, "species")?;
    let metrics = ["accuracy", "log_loss"];
    let candidate_metrics = evaluate_pipeline(&fitted, &test, &metrics, &["island"], 10)?;
    let baseline_metrics = evaluate_pipeline(&baseline, &test, &metrics, &["island"], 10)?;
    let gate = Gate::new([
        Threshold::new("accuracy")
            .lower(0.9)
            .change_absolute(-0.02)
            .slices(["overall", "island"]),
        Threshold::new("log_loss").upper(0.3).change_absolute(0.05),
    ])?;
    let verdict = gate.evaluate_sliced(&candidate_metrics, Some(&baseline_metrics))?;
    println!(
        "\nmodel gate on the held-out rows, tuned vs untuned: {}",
        if verdict.passed { "passed" } else { "FAILED" }
    );
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    for c in &verdict.checks {
        println!(
            "  {:<16} {:<8} {:<36} tuned {}  untuned {}  {:?}",
            c.slice,
            c.metric,
            c.threshold,
            show(c.candidate),
            show(c.baseline),
            c.outcome
        );
    }
    if !verdict.passed {
        return Err(Error::InvalidData("the tuned model fails its gate".into()));
    }
    let accuracy = accuracy(&fitted, &test)?;
    println!("held-out accuracy: {:.3} ({} rows)", accuracy, test.num_rows());

    // 5. Save as a verified artifact, load it back, check it predicts the same.
    let out = root.join("examples/output/penguins-model");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|source| Error::Io {
            path: out.clone(),
            source,
        })?;
    }
    let manifest = fitted.save(&out)?;
    println!(
        "\nsaved to {} (format {}):",
        out.display(),
        manifest.format_version
    );
    for (file, hash) in &manifest.files {
        println!("  {file:<36} sha256 {}…", &hash[..16]);
    }
    let loaded = FittedPipeline::load(&out)?;
    let same = loaded.predict_proba(&test)? == fitted.predict_proba(&test)?;
    println!("reloaded (every hash verified); identical predictions: {same}");
    if !same {
        return Err(Error::InvalidData(
            "the reloaded pipeline predicts differently".into(),
        ));
    }

    // 6. Serve one penguin, without building an Arrow batch.
    let row = [
        ("island", Value::from("Biscoe")),
        ("bill_length_mm", Value::Float(48.6)),
        ("bill_depth_mm", Value::Float(16.0)),
        ("flipper_length_mm", Value::Int(230)),
        ("body_mass_g", Value::Int(5800)),
        ("sex", Value::Null),
        ("year", Value::Int(2009)),
    ];
    let started = Instant::now();
    let (species, proba) = loaded.predict_named_row(row.iter().cloned())?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    let classes = loaded.classes().map(|c| c.names()).unwrap_or_default();
    println!("\none penguin (sex unknown) -> {species:?} in {micros:.0} us (first call, cold)");
    if let Some(p) = proba {
        for (c, p) in classes.iter().zip(p) {
            println!("  P({c}) = {p:.4}");
        }
    }
    Ok(())
}

fn accuracy(fitted: &FittedPipeline, table: &RecordBatch) -> ferrops::Result<f64> {
    let predicted = fitted.predict(table)?;
    let truth = ferrops::data::table::column(table, "species")?;
    let (predicted, truth) = (predicted.as_string::<i32>(), truth.as_string::<i32>());
    let hits = (0..truth.len())
        .filter(|&i| predicted.value(i) == truth.value(i))
        .count();
    Ok(hits as f64 / truth.len().max(1) as f64)
}
