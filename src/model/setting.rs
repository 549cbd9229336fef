//! Checks of one pipeline-file value against its bounds, naming the key in
//! the message. Each stage's settings call these with their own defaults
//! and bounds; `config` only hands them the file's values.

use std::num::NonZeroU32;
use std::ops::RangeInclusive;

use super::Ratio;

/// A share between 0 and 1, or `default`.
pub fn ratio(key: &str, value: Option<f64>, default: f64) -> Result<Ratio, String> {
    let v = value.unwrap_or(default);
    Ratio::new(v).ok_or_else(|| format!("{key} = {v} must be between 0 and 1"))
}

/// A whole number of at least 1, or `default`.
pub fn at_least_one(key: &str, value: Option<u32>, default: u32) -> Result<NonZeroU32, String> {
    let v = value.unwrap_or(default);
    NonZeroU32::new(v).ok_or_else(|| format!("{key} must be at least 1"))
}

/// A number of quarters within `bounds`, or `default`.
pub fn quarters(
    key: &str,
    value: Option<u32>,
    default: usize,
    bounds: &RangeInclusive<u32>,
) -> Result<usize, String> {
    match value {
        None => Ok(default),
        Some(q) if bounds.contains(&q) => Ok(q as usize),
        Some(q) => Err(format!(
            "{key} = {q}: give {} to {} quarters",
            bounds.start(),
            bounds.end()
        )),
    }
}

/// A finite number of at least 0, or `default`.
pub fn non_negative(key: &str, value: Option<f64>, default: f64) -> Result<f64, String> {
    let x = value.unwrap_or(default);
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(format!("{key} = {x} must be a number >= 0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_out_of_bounds_names_its_key_and_the_bounds() {
        assert_eq!(ratio("[x] q", None, 0.1).map(Ratio::get), Ok(0.1));
        assert!(ratio("[x] q", Some(1.5), 0.1).is_err_and(|e| e.contains("[x] q = 1.5")));
        assert_eq!(quarters("[x] w", Some(20), 4, &(1..=20)), Ok(20));
        assert!(quarters("[x] w", Some(21), 4, &(1..=20)).is_err_and(|e| e.contains("1 to 20")));
        assert!(non_negative("[x] n", Some(f64::NAN), 0.0).is_err());
        assert!(at_least_one("[x] d", Some(0), 1).is_err());
    }
}
