//! `GET /`: one self-contained HTML page. Rendered on the server, it says
//! which replica served it; its inline script then asks `/info` at a steady
//! rate and shows how the answers spread over the replicas.
//!
//! The style and the script are inline, allowed by their hashes in the
//! Content-Security-Policy, so the page loads nothing but itself and `/info`.
//! Only this route renders it: `/info` does no extra work for it.

use std::fmt::Write;

use actix_web::http::header::{self, CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};

use crate::state::AppState;

const TEMPLATE: &str = include_str!("page.html");
pub const STYLE: &str = include_str!("page.css");
pub const SCRIPT: &str = include_str!("page.js");

/// `default-src 'self'`, and inline code only by its hash. The hashes are
/// those of [`STYLE`] and [`SCRIPT`]; a unit test recomputes them.
pub const CONTENT_SECURITY_POLICY: &str = concat!(
    "default-src 'self'; ",
    "script-src 'sha256-4/bTgiehQ6wUqNWUeM3/23YZGb4koUpclU8ozOQMASw='; ",
    "style-src 'sha256-mKtgQeWomCP4XkXKIEPOf/ugVY+WsOBCkWhFoiHm4hY='; ",
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
);

pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    let facts = state.host.facts();
    let ip = facts
        .ip_address()
        .map_or_else(|| "none".to_owned(), |ip| ip.to_string());
    let body = render(&Replica {
        hostname: &facts.hostname,
        ip: &ip,
        uptime_seconds: state.process.uptime_seconds(),
        version: state.process.version,
    });
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body)
}

/// What the page says about the replica that served it.
pub struct Replica<'a> {
    pub hostname: &'a str,
    pub ip: &'a str,
    pub uptime_seconds: u64,
    pub version: &'a str,
}

/// Fills the `{{name}}` slots of the template: facts escaped, the style and
/// the script as they are (their hashes are in the policy).
pub fn render(replica: &Replica) -> String {
    let mut out = String::with_capacity(TEMPLATE.len() + STYLE.len() + SCRIPT.len() + 256);
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find("}}").expect("template slots are closed");
        match &rest[start + 2..end] {
            "style" => out.push_str(STYLE),
            "script" => out.push_str(SCRIPT),
            "hostname" => escape_into(&mut out, replica.hostname),
            "ip" => escape_into(&mut out, replica.ip),
            "version" => escape_into(&mut out, replica.version),
            "uptime" => out.push_str(&human_duration(replica.uptime_seconds)),
            "uptime_seconds" => write!(out, "{}", replica.uptime_seconds).unwrap(),
            "colour" => out.push_str(&colour(replica.hostname)),
            other => panic!("unknown template slot {other:?}"),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Escapes text for an HTML element or a quoted attribute.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Each replica's own colour: a hue from the FNV-1a hash of its hostname.
/// page.js computes the same, so the bars match the server-rendered swatch.
pub fn colour(hostname: &str) -> String {
    let hash = hostname.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    // Lightness from other bits, so two close hues still look apart; all
    // three keep white-on-colour and colour-on-white distinguishable.
    format!(
        "hsl({},60%,{}%)",
        hash % 360,
        [30, 40, 50][(hash >> 16) as usize % 3]
    )
}

fn human_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    fn sample() -> String {
        render(&Replica {
            hostname: "3f2a9c1b7d4e",
            ip: "172.18.0.3",
            uptime_seconds: 3725,
            version: "0.1.0",
        })
    }

    fn csp_hash(code: &str) -> String {
        let digest = Sha256::digest(code.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let script = csp_hash(SCRIPT);
        let style = csp_hash(STYLE);
        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("script-src {script};")),
            "page.js changed: its hash is now {script}"
        );
        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("style-src {style};")),
            "page.css changed: its hash is now {style}"
        );
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }

    #[test]
    fn the_page_shows_the_replica_and_fills_every_slot() {
        let html = sample();
        assert!(!html.contains("{{"), "unfilled slot");
        for fact in ["3f2a9c1b7d4e", "172.18.0.3", "1h 2m 5s", "0.1.0"] {
            assert!(html.contains(fact), "{fact}");
        }
        assert!(html.contains(&colour("3f2a9c1b7d4e")));
    }

    #[test]
    fn the_page_stays_under_16_kib_even_with_the_longest_hostname() {
        let html = render(&Replica {
            hostname: &"&".repeat(64),
            ip: "255.255.255.255",
            uptime_seconds: u64::MAX,
            version: "0.1.0",
        });
        assert!(html.len() < 16 * 1024, "{} bytes", html.len());
    }

    #[test]
    fn the_page_refers_to_nothing_outside_itself() {
        let html = sample();
        // The one link is the empty icon, so the browser asks for no favicon.
        let outside_script = html
            .replace(SCRIPT, "")
            .replace(r#"<link rel="icon" href="data:,">"#, "");
        for external in ["http:", "https:", "//", "src=", "href=", "@import", "url("] {
            assert!(!outside_script.contains(external), "{external}");
        }
    }

    #[test]
    fn facts_are_html_escaped() {
        let html = render(&Replica {
            hostname: "<script>\"a'&b",
            ip: "none",
            uptime_seconds: 0,
            version: "0.1.0",
        });
        assert!(html.contains("&lt;script&gt;&quot;a&#39;&amp;b"));
        assert!(!html.contains("<script>\"a"));
    }

    #[test]
    fn colours_differ_between_replicas_and_stay_the_same_for_one() {
        assert_eq!(colour("a"), colour("a"));
        assert_ne!(colour("replica-1"), colour("replica-2"));
        // FNV-1a of "a" is 0xe40c292c: page.js must agree.
        assert_eq!(colour("a"), "hsl(340,60%,30%)");
    }

    #[test]
    fn uptime_reads_as_days_hours_minutes_and_seconds() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(65), "1m 5s");
        assert_eq!(human_duration(3725), "1h 2m 5s");
        assert_eq!(human_duration(90_061), "1d 1h 1m");
    }
}
