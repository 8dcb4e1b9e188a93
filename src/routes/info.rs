//! `GET /info`: which replica answered, on what machine, and how the request
//! reached it.

mod view;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use jiff::SignedDuration;
use serde::Deserialize;

use super::errors::ApiError;
use crate::metrics::Unanswered;
use crate::state::AppState;
pub use view::host_json;

/// The longest `?wait=` accepted: enough to trip any sensible proxy timeout,
/// short enough that a replica cannot be tied up for long.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// What a refused waiter is told to wait before trying again: the slots of
/// typical `?wait=` values (a few seconds) turn over within it.
const RETRY_AFTER_SECONDS: u32 = 1;

#[derive(Deserialize)]
struct InfoQuery {
    wait: Option<String>,
    fail: Option<String>,
}

pub async fn info(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = serde_urlencoded::from_str::<InfoQuery>(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    // Both are checked before either takes effect: a bad value costs no wait.
    let delay = query.wait.as_deref().map(parse_wait).transpose();
    let fail = query.fail.as_deref().map(parse_fail).transpose();
    let (delay, fail) = (
        delay.map_err(ApiError::bad_request)?,
        fail.map_err(ApiError::bad_request)?,
    );
    // As whoami and podinfo do: the wait first, then the outcome, so a
    // failure can also be a slow one.
    if let Some(delay) = delay.filter(|delay| !delay.is_zero()) {
        let Some(_slot) = state.waiting.try_take() else {
            return Err(ApiError::unavailable(
                format!(
                    "{} requests are already waiting; try again later",
                    state.waiting.max()
                ),
                RETRY_AFTER_SECONDS,
            ));
        };
        let unanswered = Unanswered::new(&state.metrics, "/info");
        actix_rt::time::sleep(delay).await;
        unanswered.answered();
    }
    if let Some(probability) = fail
        && fastrand::f64() < probability
    {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed on purpose: fail={probability}"),
        ));
    }

    let body = view::body(&req, &state);

    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body))
}

/// Parses a `?fail=` value: the probability of a 500, a decimal from 0 to 1.
pub fn parse_fail(value: &str) -> Result<f64, String> {
    let out_of_range =
        || format!("malformed fail {value:?}: expected a probability from 0 to 1, e.g. 0.25");
    // f64's parser also takes "inf", "NaN" and exponents: only plain decimals here.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(out_of_range());
    }
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(out_of_range()),
    }
}

/// Parses a `?wait=` value: a duration as jiff reads one, in its friendly
/// format (`250ms`, `1.5s`, `2s 500ms`, `1500us`) or in ISO 8601
/// (`PT0.25S`), from zero to `MAX_WAIT`.
pub fn parse_wait(value: &str) -> Result<Duration, String> {
    let delay: SignedDuration = value.parse().map_err(|_| {
        format!("malformed wait {value:?}: expected a duration such as 250ms, 1.5s or 2s 500ms")
    })?;
    let delay = Duration::try_from(delay)
        .map_err(|_| format!("wait {value:?} is negative: at least 0s"))?;
    if delay > MAX_WAIT {
        return Err(format!(
            "wait {value:?} is too long: at most {}s",
            MAX_WAIT.as_secs()
        ));
    }
    Ok(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_accepts_seconds_milliseconds_and_microseconds() {
        assert_eq!(parse_wait("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_wait("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_wait("1500us"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_wait("0ms"), Ok(Duration::ZERO));
    }

    #[test]
    fn wait_accepts_fractions_compound_durations_and_iso_8601() {
        assert_eq!(parse_wait("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_wait("2s 500ms"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_wait("1 second"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_wait("PT0.25S"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn wait_accepts_exactly_the_cap() {
        assert_eq!(parse_wait("10s"), Ok(MAX_WAIT));
        assert_eq!(parse_wait("10000ms"), Ok(MAX_WAIT));
    }

    #[test]
    fn wait_rejects_more_than_the_cap_naming_it() {
        for too_long in [
            "11s",
            "10001ms",
            "10.001s",
            "1m",
            "1h",
            "99999999999999999s",
        ] {
            let e = parse_wait(too_long).unwrap_err();
            assert_eq!(e, format!("wait {too_long:?} is too long: at most 10s"));
        }
    }

    #[test]
    fn wait_rejects_negative_durations() {
        for negative in ["-1s", "1s ago", "-PT1S"] {
            let e = parse_wait(negative).unwrap_err();
            assert_eq!(e, format!("wait {negative:?} is negative: at least 0s"));
        }
    }

    #[test]
    fn wait_rejects_missing_or_unknown_units_naming_the_parameter() {
        for bad in ["", "250", "0", "ms", "soon", "1S", "1d", " 1s", "1e3ms"] {
            let e = parse_wait(bad).unwrap_err();
            assert!(e.starts_with(&format!("malformed wait {bad:?}: ")), "{e}");
        }
    }

    #[test]
    fn fail_accepts_probabilities_from_0_to_1() {
        assert_eq!(parse_fail("0"), Ok(0.0));
        assert_eq!(parse_fail("0.25"), Ok(0.25));
        assert_eq!(parse_fail("1"), Ok(1.0));
        assert_eq!(parse_fail("1.0"), Ok(1.0));
        assert_eq!(parse_fail(".5"), Ok(0.5));
    }

    #[test]
    fn fail_rejects_out_of_range_and_non_decimal_values() {
        for bad in [
            "", "1.01", "2", "-0.1", "NaN", "inf", "1e-1", "0,5", "half", ".",
        ] {
            let e = parse_fail(bad).unwrap_err();
            assert!(e.contains("from 0 to 1"), "{bad:?}: {e}");
        }
    }
}
