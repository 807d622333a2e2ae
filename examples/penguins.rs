//! The main job: ingest a real dataset into the embedded feature store (a Delta Lake
//! table per feature view), build the training table with a point-in-time join,
//! validate the data against a schema inferred from the training rows, tune and fit a pipeline by cross-validated grid search, gate it
//! against a baseline on held-out rows (overall and per island), save it as a verified
//! artifact, load it back, serve a penguin from the store's online snapshot, and check
//! drift against the training rows' profile.
//!
//! Run from the repository root: `cargo run --release -p ferrops --example penguins`.
//!
//! Data: `examples/data/penguins.csv`, the Palmer penguins (Horst, Hill & Gorman, 2020;
//! CC0), copied from the `palmerpenguins` package on PyPI. See `examples/data/README.md`.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, Int64Array, TimestampMicrosecondArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;
use ferrops::prelude::*;
use ferrops::store::{Entity, Feature, FeatureStatus, FeatureStore, FeatureView, ValueType, WriteMode};
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

    // 1b. Keep the measurements in the embedded feature store: entity `penguin` (one id
    //     per row), view `penguin_measurements` (every column but the label), observed on
    //     June 1st of the row's year (one minute apart). The label rows (id, time,
    //     species) then get their features back by a point-in-time join, as a training
    //     set for any model would.
    let store_dir = std::env::temp_dir().join(format!("ferrops-penguins-{}", std::process::id()));
    let store = FeatureStore::open(&store_dir.to_string_lossy())?;
    store.register_entity(&Entity::new("penguin", "penguin_id", ValueType::Int64))?;
    let mut features = Vec::new();
    for field in table.schema().fields().iter().filter(|f| f.name() != "species") {
        let dtype = ValueType::from_arrow(field.data_type())
            .ok_or_else(|| Error::column_type(field.name(), "a feature type", field.data_type()))?;
        features.push(Feature::new(field.name(), dtype));
    }
    store.register_feature_view(&FeatureView::new(
        "penguin_measurements",
        ["penguin"],
        "observed_at",
        features,
    ))?;
    let ids: Arc<dyn Array> = Arc::new(Int64Array::from_iter_values(0..table.num_rows() as i64));
    let years = ferrops::data::table::column(&table, "year")?
        .as_primitive::<Int64Type>()
        .clone();
    let observed: Vec<i64> = years
        .iter()
        .enumerate()
        .map(|(i, year)| {
            let june = chrono::NaiveDate::from_ymd_opt(year.unwrap_or(2007) as i32, 6, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_micros())
                .unwrap_or_default();
            june + i as i64 * 60_000_000
        })
        .collect();
    let observed: Arc<dyn Array> = Arc::new(TimestampMicrosecondArray::from(observed).with_timezone("UTC"));
    let mut columns = vec![("penguin_id", ids.clone()), ("observed_at", observed.clone())];
    let schema = table.schema();
    for field in schema.fields().iter().filter(|f| f.name() != "species") {
        columns.push((
            field.name().as_str(),
            ferrops::data::table::column(&table, field.name())?.clone(),
        ));
    }
    let written = store.write(
        "penguin_measurements",
        &RecordBatch::try_from_iter(columns)?,
        WriteMode::Append,
    )?;
    let labels = RecordBatch::try_from_iter([
        ("penguin_id", ids),
        ("observed_at", observed),
        (
            "species",
            ferrops::data::table::column(&table, "species")?.clone(),
        ),
    ])?;
    let training = store.historical_features_with(
        &labels,
        &["penguin_measurements:*"],
        &ferrops::store::HistoricalOptions {
            timestamp_column: "observed_at".into(),
            ..Default::default()
        },
    )?;
    let statistics = store.statistics("penguin_measurements", Some(written.version))?;
    let mass = statistics.column("body_mass_g");
    println!(
        "
feature store {}: view penguin_measurements at version {} ({} rows; body_mass_g mean {:.0} g, median ~{:.0} g)",
        store_dir.display(),
        written.version,
        statistics.rows(),
        mass.and_then(|c| c.mean()).unwrap_or(f64::NAN),
        mass.map(|c| c.quantile(0.5)).transpose()?.flatten().unwrap_or(f64::NAN),
    );
    println!(
        "point-in-time training set: {} rows (lineage: {:?})",
        training.table.num_rows(),
        training
            .lineage
            .iter()
            .map(|l| format!("{}@v{}", l.view, l.version))
            .collect::<Vec<_>>()
    );
    // The same columns as the file, now from the store.
    let names: Vec<String> = table.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut from_store = Vec::new();
    for name in &names {
        from_store.push((
            name.as_str(),
            ferrops::data::table::column(&training.table, name)?.clone(),
        ));
    }
    let table = RecordBatch::try_from_iter(from_store)?;

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

    // 6. Serve: materialize the latest measurements per penguin into the online
    //    snapshot, fetch one held-out penguin's features by id (with a status per
    //    value), and predict from them without building an Arrow batch.
    let end = chrono::Utc::now().timestamp_micros();
    let materialized = store.materialize("penguin_measurements", None, end)?;
    println!(
        "\nmaterialized {} penguins into the online snapshot",
        materialized.keys
    );
    let id = (0..table.num_rows())
        .find(|&i| (i * 7919 + 13) % 10 >= 7)
        .unwrap_or(0) as i64;
    let request = RecordBatch::try_from_iter([(
        "penguin_id",
        Arc::new(Int64Array::from(vec![id])) as Arc<dyn Array>,
    )])?;
    let refs: Vec<String> = names
        .iter()
        .filter(|n| n.as_str() != "species")
        .map(|n| format!("penguin_measurements:{n}"))
        .collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let started = Instant::now();
    let served = store.online_features(&request, &refs)?;
    let mut row = Vec::new();
    for (name, status) in &served.status {
        let value = if status.first() == Some(&FeatureStatus::Present) {
            ferrops::data::table::column(&served.table, name)
                .and_then(|c| ferrops::data::table::value_at(c, 0))?
        } else {
            Value::Null
        };
        row.push((name.clone(), value));
    }
    let (species, proba) = loaded.predict_named_row(row.iter().map(|(n, v)| (n.as_str(), v.clone())))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    let classes = loaded.classes().map(|c| c.names()).unwrap_or_default();
    let truth = ferrops::data::table::column(&table, "species")?
        .as_string::<i32>()
        .value(id as usize)
        .to_string();
    println!(
        "penguin {id} (a held-out {truth}): online features + prediction -> {species:?} in {micros:.0} us (first call, cold)"
    );
    if let Some(p) = proba {
        for (c, p) in classes.iter().zip(p) {
            println!("  P({c}) = {p:.4}");
        }
    }

    // 7. Watch for drift: the training rows' profile (stored with a model in practice)
    //    against the held-out rows (same population: no drift expected), then against
    //    a "next season" where every penguin is 15% heavier. The report goes to HTML.
    let profile = ferrops::drift::Profile::from_batch(&train)?;
    let detector =
        ferrops::drift::DriftDetector::from_profile(&profile, ferrops::drift::DriftOptions::default())?;
    let same = detector.run(&test)?;
    println!(
        "\ndrift of the held-out rows vs the training profile: {} ({} of {} columns drifted)",
        if same.dataset_drifted { "DRIFT" } else { "none" },
        same.drifted_columns().len(),
        same.columns.len()
    );
    let heavier = {
        let mass = ferrops::data::table::as_f64_array(
            "body_mass_g",
            ferrops::data::table::column(&test, "body_mass_g")?,
        )?;
        let mass: arrow::array::Float64Array = mass.iter().map(|v| v.map(|m| m * 1.15)).collect();
        let schema = test.schema();
        let index = schema.index_of("body_mass_g")?;
        let mut columns = test.columns().to_vec();
        columns[index] = Arc::new(mass);
        let fields: Vec<arrow::datatypes::Field> = schema
            .fields()
            .iter()
            .map(|f| {
                if f.name() == "body_mass_g" {
                    arrow::datatypes::Field::new("body_mass_g", arrow::datatypes::DataType::Float64, true)
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)?
    };
    let shifted = detector.run(&heavier)?;
    println!(
        "drift of a season of 15% heavier penguins: drifted columns {:?}",
        shifted.drifted_columns()
    );
    for column in &shifted.columns {
        println!(
            "  {:<18} {:<18} statistic {:>8.4}{}  threshold {:<5} {}",
            column.column,
            column.test.name(),
            column.statistic,
            column.p_value.map(|p| format!("  p {p:.2e}")).unwrap_or_default(),
            column.threshold,
            if column.drifted { "DRIFT" } else { "ok" }
        );
    }
    let html = root.join("examples/output/drift.html");
    shifted.save_html(&html)?;
    println!("drift report: {}", html.display());
    if same.dataset_drifted || !shifted.drifted_columns().contains(&"body_mass_g") {
        return Err(Error::InvalidData(
            "the drift check did not behave as expected".into(),
        ));
    }

    std::fs::remove_dir_all(&store_dir).ok();
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
