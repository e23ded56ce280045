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
    /// `If-Match` failed but the stored content already equals the request's content: the change
    /// was applied before (a retry whose response was lost), so answer success and write nothing.
    AlreadyApplied,
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
    /// natural key); `incoming` is the ETag of the request's content (`None` for DELETE).
    pub fn evaluate_write(
        &self,
        policy: IfMatchPolicy,
        current: Option<&EntityTag>,
        incoming: Option<&EntityTag>,
    ) -> WriteOutcome {
        if let (IfMatchPolicy::Required { status }, None, Some(_)) = (policy, &self.if_match, current) {
            return WriteOutcome::Failed(Problem::precondition_required(status));
        }
        if let Some(if_match) = &self.if_match {
            if !if_match.matches_strong(current) {
                let already_applied = matches!((current, incoming), (Some(c), Some(i)) if c == i);
                return if already_applied {
                    WriteOutcome::AlreadyApplied
                } else {
                    WriteOutcome::Failed(Problem::optimistic_lock_failed())
                };
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
        let (v1, v2) = (tag("v1"), tag("v2"));
        let w = |p: Preconditions, policy| p.evaluate_write(policy, Some(&v1), Some(&v2));
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
            let outcome = pre(None, None).evaluate_write(IfMatchPolicy::Required { status }, Some(&v1), None);
            assert!(matches!(outcome, WriteOutcome::Failed(p) if p.status == status));
        }
    }

    #[test]
    fn stale_if_match_with_content_already_stored_is_already_applied() {
        let v1 = tag("v1");
        let outcome = pre(Some(r#""v0""#), None).evaluate_write(OPTIONAL, Some(&v1), Some(&v1));
        assert_eq!(outcome, WriteOutcome::AlreadyApplied);
        let delete = pre(Some(r#""v0""#), None).evaluate_write(OPTIONAL, Some(&v1), None);
        assert_eq!(failed_type(delete), TYPE_OPTIMISTIC_LOCK_FAILED, "a delete is never 'already applied'");
    }

    #[test]
    fn post_rows() {
        let (v1, v2) = (tag("v1"), tag("v2"));
        // Natural key new: nothing can match If-Match.
        assert_eq!(
            failed_type(pre(Some(r#""v1""#), None).evaluate_write(OPTIONAL, None, Some(&v2))),
            TYPE_OPTIMISTIC_LOCK_FAILED
        );
        assert_eq!(
            failed_type(pre(Some("*"), None).evaluate_write(OPTIONAL, None, Some(&v2))),
            TYPE_OPTIMISTIC_LOCK_FAILED
        );
        // Create-only.
        assert_eq!(pre(None, Some("*")).evaluate_write(OPTIONAL, None, Some(&v2)), WriteOutcome::Proceed);
        assert_eq!(
            pre(None, Some("*")).evaluate_write(REQUIRED, None, Some(&v2)),
            WriteOutcome::Proceed,
            "creates need no If-Match"
        );
        // Natural key exists: an update.
        assert_eq!(
            failed_type(pre(None, Some("*")).evaluate_write(OPTIONAL, Some(&v1), Some(&v2))),
            TYPE_IF_NONE_MATCH_FAILED
        );
        assert_eq!(
            pre(Some(r#""v1""#), None).evaluate_write(OPTIONAL, Some(&v1), Some(&v2)),
            WriteOutcome::Proceed
        );
        assert_eq!(
            failed_type(pre(None, None).evaluate_write(REQUIRED, Some(&v1), Some(&v2))),
            TYPE_PRECONDITION_REQUIRED
        );
    }
}
