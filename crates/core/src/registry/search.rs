//! Finding versions by model, tag and metric.

use std::cmp::Ordering;

use super::ModelVersion;

/// A bound on a metric: versions without the metric never match.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFilter {
    /// The metric.
    pub metric: String,
    /// Smallest accepted value (inclusive).
    pub min: Option<f64>,
    /// Largest accepted value (inclusive).
    pub max: Option<f64>,
}

/// A registry query; every condition given must hold. A builder:
///
/// ```
/// use ferrops::registry::Search;
/// let q = Search::new().model("churn").tag("team", "risk").metric_at_least("accuracy", 0.9)
///     .order_by("accuracy", true).limit(3);
/// # let _ = q;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    pub(crate) model: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) metrics: Vec<MetricFilter>,
    pub(crate) order_by: Option<(String, bool)>,
    pub(crate) limit: Option<usize>,
}

impl Search {
    /// Every version of every model, oldest first.
    pub fn new() -> Search {
        Search::default()
    }

    /// Only model `name`.
    pub fn model(mut self, name: impl Into<String>) -> Self {
        self.model = Some(name.into());
        self
    }

    /// Only versions tagged `key=value`.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Only versions whose `metric` is at least `min`.
    pub fn metric_at_least(mut self, metric: impl Into<String>, min: f64) -> Self {
        self.metrics.push(MetricFilter {
            metric: metric.into(),
            min: Some(min),
            max: None,
        });
        self
    }

    /// Only versions whose `metric` is at most `max`.
    pub fn metric_at_most(mut self, metric: impl Into<String>, max: f64) -> Self {
        self.metrics.push(MetricFilter {
            metric: metric.into(),
            min: None,
            max: Some(max),
        });
        self
    }

    /// Sort by `metric` (versions without it last), highest first if `descending`.
    pub fn order_by(mut self, metric: impl Into<String>, descending: bool) -> Self {
        self.order_by = Some((metric.into(), descending));
        self
    }

    /// At most `n` results.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    pub(crate) fn matches(&self, v: &ModelVersion) -> bool {
        self.tags.iter().all(|(k, want)| v.tags.get(k) == Some(want))
            && self.metrics.iter().all(|f| match v.metrics.get(&f.metric) {
                Some(&x) => f.min.is_none_or(|m| x >= m) && f.max.is_none_or(|m| x <= m),
                None => false,
            })
    }

    pub(crate) fn sort_and_limit(&self, found: &mut Vec<ModelVersion>) {
        if let Some((metric, descending)) = &self.order_by {
            found.sort_by(|a, b| {
                match (a.metrics.get(metric), b.metrics.get(metric)) {
                    (Some(x), Some(y)) => {
                        let o = x.total_cmp(y);
                        if *descending {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.version.cmp(&b.version))
            });
        }
        if let Some(n) = self.limit {
            found.truncate(n);
        }
    }
}
