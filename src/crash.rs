//! Named points where a test may stop tongbao dead, as a `kill -9` would there: with
//! `TONGBAO_KILL_AT=<point>` in its environment the process aborts at that point (no destructor,
//! no flush). The points are the moments between two writes that must go together, so the tests
//! of what the next run finds there are exact rather than timed.

/// The points, each named where it is used.
pub(crate) const POINTS: [&str; 4] = [
    // Every file of a build written in the scratch folder, the journal not yet.
    "write:staged",
    // The journal written, nothing renamed yet.
    "write:journalled",
    // The first file renamed into place, the others not yet.
    "write:renaming",
    // `issue`: the record written, the issued files not yet.
    "issue:recorded",
];

/// Aborts the process if a test asked to stop it at `point`.
pub(crate) fn point(point: &str) {
    debug_assert!(POINTS.contains(&point), "unknown kill point {point}");
    if std::env::var_os("TONGBAO_KILL_AT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}
