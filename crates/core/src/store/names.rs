//! Names the store turns into paths: checked so that none can leave the store.

use crate::error::{Error, Result};

/// The longest name accepted (bytes).
pub const MAX_NAME_LEN: usize = 128;

/// Check a name of an entity, feature view, feature or column used by the store.
///
/// Accepted: 1 to [`MAX_NAME_LEN`] characters, ASCII letters, digits and `_`, not
/// starting with a digit, and not starting with `__`/ending with `__` around nothing
/// (`__` separates a view from a feature in full names, so a view name may not contain it).
/// This refuses `..`, `/`, `\`, absolute paths, drive letters, spaces and control
/// characters, so a name can never name a path outside the store.
///
/// # Errors
/// [`Error::InvalidName`] saying why.
pub fn check_name(what: &'static str, name: &str) -> Result<()> {
    let refuse = |reason: &str| {
        Err(Error::InvalidName {
            what,
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return refuse(&format!("it is longer than {MAX_NAME_LEN} bytes"));
    }
    if name.contains("..") || name.contains('/') || name.contains('\\') || name.contains(':') {
        return refuse(
            "names may not contain path components (`..`, `/`, `\\`, `:`): use letters, digits and `_`",
        );
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return refuse("use ASCII letters, digits and `_` only");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return refuse("a name may not start with a digit");
    }
    Ok(())
}

/// Check a feature view name: a [`check_name`] name without `__` (the separator of
/// full feature names `view__feature`).
///
/// # Errors
/// [`Error::InvalidName`] saying why.
pub fn check_view_name(name: &str) -> Result<()> {
    check_name("feature view", name)?;
    if name.contains("__") {
        return Err(Error::InvalidName {
            what: "feature view",
            name: name.to_string(),
            reason: "`__` separates a view from a feature in full names (`view__feature`); use a single `_`"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "", "..", "../x", "a/b", "a\\b", "/etc", "C:x", "a b", "a\0b", "é", "1abc", "a.b",
        ] {
            assert!(check_name("entity", bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_name("entity", &"a".repeat(129)).is_err());
        for good in ["driver", "driver_id", "_x", "A1", "x__y"] {
            check_name("entity", good).unwrap();
        }
        assert!(check_view_name("x__y").is_err());
        check_view_name("driver_hourly").unwrap();
    }
}
