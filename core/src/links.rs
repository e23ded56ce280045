//! ODS/API's `link` members: each reference object of a representation carries
//! `{"rel": "School", "href": "/ed-fi/schools/{id}"}`, naming the item it resolves to. They are
//! made when an item is written (a referenced item's id never changes, and it cannot be deleted
//! while referenced) and stored with the content, so a read stays a splice of stored text. They
//! are not content: never hashed, and ignored when a client sends them back
//! ([`crate::wire::strip_links`], the rule clients share).

use serde_json::{Map, Value};

use crate::canonical::canonical_object;
use crate::model::ResourceDef;
use crate::wire::answers::Link;
use crate::wire::{LINK, SERVER_FIELDS};

/// A reference object of a body, resolved: where it is (`$.classPeriods[0].classPeriodReference`)
/// and the item it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub path: String,
    pub target: &'static ResourceDef,
    pub id: String,
}

/// The text to store: the canonical JSON of the content with a `link` in each resolved
/// reference object. Descriptors are URIs, not reference objects, and get none.
pub fn stored_text(body: &Map<String, Value>, resolved: &[Resolved]) -> String {
    let targets: Vec<&Resolved> = resolved.iter().filter(|r| !r.target.is_descriptor).collect();
    if targets.is_empty() {
        return canonical_object(body, &SERVER_FIELDS);
    }
    let mut linked = body.clone();
    for r in targets {
        if let Some(reference) = object_at(&mut linked, &r.path) {
            reference.insert(LINK.to_owned(), link(r.target, &r.id));
        }
    }
    canonical_object(&linked, &SERVER_FIELDS)
}

/// ODS/API's link to an item: `rel` is the resource's entity name, `href` its path under the
/// data API.
pub fn link(target: &ResourceDef, id: &str) -> Value {
    let link = Link::new(target.entity_name, target.name, id);
    serde_json::to_value(link).expect("a link serializes")
}

/// The object at a concrete path such as `$.classPeriods[0].classPeriodReference`.
fn object_at<'a>(body: &'a mut Map<String, Value>, path: &str) -> Option<&'a mut Map<String, Value>> {
    let mut object = body;
    for segment in path.strip_prefix("$.")?.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, index)) => (name, Some(index.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (segment, None),
        };
        let member = object.get_mut(name)?;
        let member = match index {
            Some(i) => member.as_array_mut()?.get_mut(i)?,
            None => member,
        };
        object = member.as_object_mut()?;
    }
    Some(object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::get;

    #[test]
    fn links_go_into_each_resolved_reference_object() {
        let body = json!({
            "sectionIdentifier": "S",
            "courseOfferingReference": {"localCourseCode": "A", "schoolId": 1, "schoolYear": 2027, "sessionName": "F"},
            "classPeriods": [{"classPeriodReference": {"classPeriodName": "01", "schoolId": 1}}],
        });
        let resolved = [Resolved {
            path: "$.classPeriods[0].classPeriodReference".to_owned(),
            target: get("classPeriods"),
            id: "c1".to_owned(),
        }];
        let stored: Value = serde_json::from_str(&stored_text(body.as_object().unwrap(), &resolved)).unwrap();
        assert_eq!(
            stored["classPeriods"][0]["classPeriodReference"]["link"],
            json!({"rel": "ClassPeriod", "href": "/ed-fi/classPeriods/c1"})
        );
        assert!(stored["courseOfferingReference"].get("link").is_none(), "not resolved here");
        // Without links the stored text is the content itself.
        assert_eq!(
            stored_text(body.as_object().unwrap(), &[]),
            canonical_object(body.as_object().unwrap(), &SERVER_FIELDS)
        );
    }

    #[test]
    fn links_sent_back_are_stripped_from_reference_objects_only() {
        let mut body = json!({
            "sectionIdentifier": "S",
            "courseOfferingReference": {"schoolId": 1, "link": {"rel": "CourseOffering", "href": "/x"}},
            "classPeriods": [{"classPeriodReference": {"schoolId": 1, "link": {"rel": "ClassPeriod", "href": "/y"}}}],
            "link": "not a reference object: left for validation to refuse",
        });
        crate::wire::strip_links(body.as_object_mut().unwrap());
        assert!(body["courseOfferingReference"].get("link").is_none());
        assert!(body["classPeriods"][0]["classPeriodReference"].get("link").is_none());
        assert!(body.get("link").is_some());
        assert_eq!(link(get("schools"), "abc"), json!({"rel": "School", "href": "/ed-fi/schools/abc"}));
    }

    #[test]
    fn a_client_reads_a_link_back_to_the_endpoint_and_id_it_names() {
        for def in crate::resources::all() {
            let reference = json!({ LINK: link(def, "0123abcd") });
            let read = Link::of(&reference).expect("a link");
            assert_eq!(read.target(), Some((def.name.to_owned(), "0123abcd".to_owned())), "{}", def.name);
            assert_eq!(read.rel, def.entity_name);
        }
        let absolute = Link {
            rel: "School".into(),
            href: "https://ods.example.org/api/data/v3/ed-fi/schools/abc".into(),
        };
        assert_eq!(absolute.target(), Some(("schools".to_owned(), "abc".to_owned())));
        // An id is read back decoded, as the server encoded it.
        let encoded = Link::new("School", "schools", &crate::wire::paths::encode("a b/c"));
        assert_eq!(encoded.target(), Some(("schools".to_owned(), "a b/c".to_owned())));
        for unreadable in
            ["/x", "/ed-fi/schools", "/ed-fi/schools/", "/ed-fi/schools/a/b", "/ed-fi/schools/%FF"]
        {
            assert_eq!(Link { rel: String::new(), href: unreadable.into() }.target(), None, "{unreadable}");
        }
        assert_eq!(Link::of(&json!({ LINK: "not an object" })), None);
    }
}
