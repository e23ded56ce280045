//! Conditional requests (RFC 9110 §13.2) as the HTTP contract specifies them for Ed-Fi.

use crate::etag::{EntityTag, TagCondition};
use crate::problem::Problem;

/// Whether writes must carry `If-Match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfMatchPolicy {
    /// The Ed-Fi default: a write without `If-Match` is applied.
    Optional,
    /// A write to an existing item without `If-Match` is refused with `status` (400 or 428).
    Required { status: u16 },
}

/// The two precondition headers of one request, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub if_match: Option<TagCondition>,
    pub if_none_match: Option<TagCondition>,
}

/// What a GET by id answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    Ok,
    NotModified,
    Failed(Problem),
}

/// What a write does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Proceed,
    Failed(Problem),
}

impl Preconditions {
    /// Parses the raw header values. A malformed header is a 400, never treated as absent.
    pub fn parse(if_match: Option<&str>, if_none_match: Option<&str>) -> Result<Self, Problem> {
        let parse = |name: &str, value: Option<&str>| {
            value
                .map(|v| {
                    TagCondition::parse(v)
                        .map_err(|e| Problem::bad_request(format!("The '{name}' header is malformed: {e}.")))
                })
                .transpose()
        };
        Ok(Self {
            if_match: parse("If-Match", if_match)?,
            if_none_match: parse("If-None-Match", if_none_match)?,
        })
    }

    /// GET by id of an item whose ETag is `current`.
    pub fn evaluate_read(&self, current: &EntityTag) -> ReadOutcome {
        if let Some(if_match) = &self.if_match {
            if !if_match.matches_strong(Some(current)) {
                return ReadOutcome::Failed(Problem::optimistic_lock_failed());
            }
        }
        if let Some(if_none_match) = &self.if_none_match {
            if if_none_match.matches_weak(Some(current)) {
                return ReadOutcome::NotModified;
            }
        }
        ReadOutcome::Ok
    }

    /// A PUT, DELETE or POST. `current` is the stored item's ETag (`None`: a POST of a new
    /// natural key). The request's content plays no part: a stale `If-Match` is 412 even when the
    /// content equals what is stored, or two clients that read one version and both write the
    /// same next value would both succeed while one change is lost. Retries are made safe by
    /// `Idempotency-Key` instead.
    pub fn evaluate_write(&self, policy: IfMatchPolicy, current: Option<&EntityTag>) -> WriteOutcome {
        if let (IfMatchPolicy::Required { status }, None, Some(_)) = (policy, &self.if_match, current) {
            return WriteOutcome::Failed(Problem::precondition_required(status));
        }
        if let Some(if_match) = &self.if_match {
            if !if_match.matches_strong(current) {
                return WriteOutcome::Failed(Problem::optimistic_lock_failed());
            }
        }
        if let Some(if_none_match) = &self.if_none_match {
            if if_none_match.matches_weak(current) {
                return WriteOutcome::Failed(Problem::if_none_match_failed());
            }
        }
        WriteOutcome::Proceed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{
        TYPE_IF_NONE_MATCH_FAILED, TYPE_OPTIMISTIC_LOCK_FAILED, TYPE_PRECONDITION_REQUIRED,
    };

    const OPTIONAL: IfMatchPolicy = IfMatchPolicy::Optional;
    const REQUIRED: IfMatchPolicy = IfMatchPolicy::Required { status: 428 };

    fn pre(if_match: Option<&str>, if_none_match: Option<&str>) -> Preconditions {
        Preconditions::parse(if_match, if_none_match).unwrap()
    }

    fn tag(s: &str) -> EntityTag {
        EntityTag::strong(s).unwrap()
    }

    fn failed_type(outcome: WriteOutcome) -> String {
        match outcome {
            WriteOutcome::Failed(p) => p.kind,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn malformed_headers_are_bad_requests() {
        for (im, inm) in [(Some(""), None), (None, Some(r#""a"#)), (Some(r#"*, "a""#), None)] {
            let err = Preconditions::parse(im, inm).unwrap_err();
            assert_eq!(err.status, 400);
        }
    }

    #[test]
    fn read_rows() {
        let v1 = tag("v1");
        assert_eq!(pre(None, None).evaluate_read(&v1), ReadOutcome::Ok);
        assert_eq!(pre(None, Some(r#""v1""#)).evaluate_read(&v1), ReadOutcome::NotModified);
        assert_eq!(pre(None, Some(r#"W/"v1""#)).evaluate_read(&v1), ReadOutcome::NotModified);
        assert_eq!(pre(None, Some("*")).evaluate_read(&v1), ReadOutcome::NotModified);
        assert_eq!(pre(None, Some(r#""v0""#)).evaluate_read(&v1), ReadOutcome::Ok);
        assert_eq!(pre(Some(r#""v1""#), None).evaluate_read(&v1), ReadOutcome::Ok);
        assert!(
            matches!(pre(Some(r#""v0""#), None).evaluate_read(&v1), ReadOutcome::Failed(p) if p.status == 412)
        );
    }

    #[test]
    fn put_and_delete_rows() {
        let v1 = tag("v1");
        let w = |p: Preconditions, policy| p.evaluate_write(policy, Some(&v1));
        assert_eq!(w(pre(Some(r#""v1""#), None), OPTIONAL), WriteOutcome::Proceed);
        assert_eq!(w(pre(Some("v1"), None), OPTIONAL), WriteOutcome::Proceed, "unquoted Ed-Fi form");
        assert_eq!(w(pre(Some("*"), None), OPTIONAL), WriteOutcome::Proceed);
        assert_eq!(failed_type(w(pre(Some(r#""v0""#), None), OPTIONAL)), TYPE_OPTIMISTIC_LOCK_FAILED);
        assert_eq!(failed_type(w(pre(Some(r#"W/"v1""#), None), OPTIONAL)), TYPE_OPTIMISTIC_LOCK_FAILED);
        assert_eq!(w(pre(None, None), OPTIONAL), WriteOutcome::Proceed);
        assert_eq!(failed_type(w(pre(None, None), REQUIRED)), TYPE_PRECONDITION_REQUIRED);
        assert_eq!(w(pre(Some(r#""v1""#), None), REQUIRED), WriteOutcome::Proceed);
        assert_eq!(failed_type(w(pre(None, Some("*")), OPTIONAL)), TYPE_IF_NONE_MATCH_FAILED);
        assert_eq!(failed_type(w(pre(None, Some(r#"W/"v1""#)), OPTIONAL)), TYPE_IF_NONE_MATCH_FAILED);
        assert_eq!(w(pre(None, Some(r#""v0""#)), OPTIONAL), WriteOutcome::Proceed);
    }

    #[test]
    fn required_status_is_configurable() {
        let v1 = tag("v1");
        for status in [400, 428] {
            let outcome = pre(None, None).evaluate_write(IfMatchPolicy::Required { status }, Some(&v1));
            assert!(matches!(outcome, WriteOutcome::Failed(p) if p.status == status));
        }
    }

    /// RFC 9110 §8.8.3.2's comparison table, as `If-Match` (strong) and `If-None-Match` (weak)
    /// see it on a write to an item whose ETag is `"1"`.
    #[test]
    fn comparison_table_on_writes() {
        let current = tag("1");
        // (header value, If-Match proceeds, If-None-Match matches)
        let table = [
            (r#""1""#, true, true),
            (r#"W/"1""#, false, true),
            (r#""2""#, false, false),
            (r#"W/"2""#, false, false),
            (r#""0", "1""#, true, true),
            (r#"W/"0", W/"1""#, false, true),
        ];
        for (value, if_match_proceeds, if_none_match_matches) in table {
            let if_match = pre(Some(value), None).evaluate_write(OPTIONAL, Some(&current));
            assert_eq!(if_match == WriteOutcome::Proceed, if_match_proceeds, "If-Match: {value}");
            let if_none_match = pre(None, Some(value)).evaluate_write(OPTIONAL, Some(&current));
            assert_eq!(
                if_none_match != WriteOutcome::Proceed,
                if_none_match_matches,
                "If-None-Match: {value}"
            );
        }
    }

    #[test]
    fn a_stale_if_match_always_fails() {
        let v1 = tag("v1");
        for stale in [r#""v0""#, r#"W/"v1""#, r#""never-issued""#, "v0"] {
            let outcome = pre(Some(stale), None).evaluate_write(OPTIONAL, Some(&v1));
            assert_eq!(failed_type(outcome), TYPE_OPTIMISTIC_LOCK_FAILED, "If-Match: {stale}");
        }
    }

    #[test]
    fn post_rows() {
        let v1 = tag("v1");
        // Natural key new: nothing can match If-Match.
        assert_eq!(
            failed_type(pre(Some(r#""v1""#), None).evaluate_write(OPTIONAL, None)),
            TYPE_OPTIMISTIC_LOCK_FAILED
        );
        assert_eq!(
            failed_type(pre(Some("*"), None).evaluate_write(OPTIONAL, None)),
            TYPE_OPTIMISTIC_LOCK_FAILED
        );
        // Create-only.
        assert_eq!(pre(None, Some("*")).evaluate_write(OPTIONAL, None), WriteOutcome::Proceed);
        assert_eq!(
            pre(None, Some("*")).evaluate_write(REQUIRED, None),
            WriteOutcome::Proceed,
            "creates need no If-Match"
        );
        // Natural key exists: an update.
        assert_eq!(
            failed_type(pre(None, Some("*")).evaluate_write(OPTIONAL, Some(&v1))),
            TYPE_IF_NONE_MATCH_FAILED
        );
        assert_eq!(pre(Some(r#""v1""#), None).evaluate_write(OPTIONAL, Some(&v1)), WriteOutcome::Proceed);
        assert_eq!(
            failed_type(pre(None, None).evaluate_write(REQUIRED, Some(&v1))),
            TYPE_PRECONDITION_REQUIRED
        );
    }
}
