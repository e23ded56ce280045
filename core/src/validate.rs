//! Checks a request body against a [`ResourceDef`]: required and unknown members, types, string
//! lengths, dates, descriptor URIs. Every problem is reported, keyed by its JSON path.

use serde_json::{Map, Value};

use crate::content::SERVER_FIELDS;
use crate::model::{Field, Kind, ResourceDef, DESCRIPTOR_URI_MAX};
use crate::problem::ValidationErrors;

/// Validates a body. Server-owned members (`id`, `_etag`, `_lastModifiedDate`) are allowed at the
/// top level and ignored here; the engine decides what an `id` means.
pub fn validate(def: &ResourceDef, body: &Map<String, Value>) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    check_object(def.fields, body, "$", true, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The natural key of a validated body, as JSON text of the key values in definition order.
/// Returns `None` when a key member is missing (validation reports that).
pub fn natural_key(def: &ResourceDef, body: &Map<String, Value>) -> Option<String> {
    let values =
        def.natural_key.iter().map(|path| lookup(body, path).cloned()).collect::<Option<Vec<Value>>>()?;
    Some(Value::Array(values).to_string())
}

fn lookup<'a>(body: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut value = body.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    (!value.is_null()).then_some(value)
}

fn check_object(
    fields: &[Field],
    object: &Map<String, Value>,
    path: &str,
    top_level: bool,
    errors: &mut ValidationErrors,
) {
    for (name, value) in object {
        if top_level && SERVER_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let member_path = format!("{path}.{name}");
        match fields.iter().find(|f| f.name == name) {
            None => report(errors, &member_path, format!("'{name}' is not a member of this resource.")),
            Some(field) if value.is_null() => {
                if field.required {
                    report(errors, &member_path, format!("'{name}' is required."));
                }
            }
            Some(field) => check_value(&field.kind, value, &member_path, errors),
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !object.contains_key(field.name) {
            report(errors, &format!("{path}.{}", field.name), format!("'{}' is required.", field.name));
        }
    }
}

fn check_value(kind: &Kind, value: &Value, path: &str, errors: &mut ValidationErrors) {
    match kind {
        Kind::Text { min, max } => match value.as_str() {
            None => report(errors, path, "must be a string.".to_owned()),
            Some(s) => {
                let chars = s.chars().count();
                if s.trim().is_empty() && *min > 0 {
                    report(errors, path, "must not be empty or only whitespace.".to_owned());
                } else if chars < *min || chars > *max {
                    report(errors, path, format!("must be between {min} and {max} characters long."));
                }
            }
        },
        Kind::Date => match value.as_str() {
            Some(s) if parse_date(s).is_some() => {}
            _ => report(errors, path, "must be a date in the form YYYY-MM-DD.".to_owned()),
        },
        Kind::Boolean => {
            if !value.is_boolean() {
                report(errors, path, "must be true or false.".to_owned());
            }
        }
        Kind::Integer { min, max } => match value.as_i64() {
            Some(n) if (*min..=*max).contains(&n) => {}
            Some(_) => report(errors, path, format!("must be between {min} and {max}.")),
            None => report(errors, path, "must be a whole number.".to_owned()),
        },
        Kind::Descriptor => match value.as_str() {
            Some(s) if is_descriptor_uri(s) => {}
            _ => report(
                errors,
                path,
                format!("must be a descriptor URI such as 'uri://ed-fi.org/SexDescriptor#Female' (at most {DESCRIPTOR_URI_MAX} characters)."),
            ),
        },
        Kind::Object(fields) => match value.as_object() {
            Some(object) => check_object(fields, object, path, false, errors),
            None => report(errors, path, "must be an object.".to_owned()),
        },
        Kind::Collection { item, min_items } => match value.as_array() {
            Some(items) => {
                if items.len() < *min_items {
                    report(errors, path, format!("must have at least {min_items} item(s)."));
                }
                for (i, element) in items.iter().enumerate() {
                    let element_path = format!("{path}[{i}]");
                    match element.as_object() {
                        Some(object) => check_object(item, object, &element_path, false, errors),
                        None => report(errors, &element_path, "must be an object.".to_owned()),
                    }
                }
            }
            None => report(errors, path, "must be an array.".to_owned()),
        },
    }
}

/// `YYYY-MM-DD` naming a real calendar day.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year repr:full base:calendar]-[month]-[day]");
    if s.len() != 10 {
        return None;
    }
    time::Date::parse(s, &format).ok()
}

fn is_descriptor_uri(s: &str) -> bool {
    match s.split_once('#') {
        Some((namespace, code)) => {
            !namespace.trim().is_empty()
                && !code.trim().is_empty()
                && s.chars().count() <= DESCRIPTOR_URI_MAX
                && !s.chars().any(char::is_control)
        }
        None => false,
    }
}

fn report(errors: &mut ValidationErrors, path: &str, message: String) {
    errors.entry(path.to_owned()).or_default().push(message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::STUDENTS;
    use serde_json::json;

    fn check(body: Value) -> Result<(), ValidationErrors> {
        validate(&STUDENTS, body.as_object().unwrap())
    }

    fn valid_student() -> Value {
        json!({
            "studentUniqueId": "S1", "firstName": "Ana", "lastSurname": "Diaz",
            "birthDate": "2010-02-28",
        })
    }

    #[test]
    fn accepts_a_minimal_and_a_full_student() {
        assert_eq!(check(valid_student()), Ok(()));
        let mut full = valid_student();
        full.as_object_mut().unwrap().extend(
            json!({
                "id": "ignored here", "_etag": "x", "_lastModifiedDate": "y",
                "middleName": "B", "multipleBirthStatus": false, "birthCity": "Austin",
                "birthSexDescriptor": "uri://ed-fi.org/SexDescriptor#Female",
                "otherNames": [{"otherNameTypeDescriptor": "uri://ed-fi.org/OtherNameTypeDescriptor#Nickname",
                                "firstName": "Annie", "lastSurname": "Diaz"}],
                "personReference": null,
            })
            .as_object()
            .unwrap()
            .clone(),
        );
        assert_eq!(check(full), Ok(()));
    }

    #[test]
    fn reports_every_problem_by_json_path() {
        let errors = check(json!({
            "studentUniqueId": 7, "firstName": "", "birthDate": "2010-02-30",
            "nickname": "x", "multipleBirthStatus": "yes",
            "birthSexDescriptor": "Female",
            "otherNames": [{"firstName": "A" }, 3],
        }))
        .unwrap_err();
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "$.birthDate",
                "$.birthSexDescriptor",
                "$.firstName",
                "$.lastSurname",
                "$.multipleBirthStatus",
                "$.nickname",
                "$.otherNames[0].lastSurname",
                "$.otherNames[0].otherNameTypeDescriptor",
                "$.otherNames[1]",
                "$.studentUniqueId",
            ]
        );
    }

    #[test]
    fn enforces_xsd_lengths_in_characters() {
        let mut body = valid_student();
        body["studentUniqueId"] = json!("x".repeat(33));
        assert!(check(body.clone()).unwrap_err().contains_key("$.studentUniqueId"));
        body["studentUniqueId"] = json!("é".repeat(32));
        assert_eq!(check(body), Ok(()), "32 two-byte characters are 32 characters");
    }

    #[test]
    fn required_null_is_missing() {
        let mut body = valid_student();
        body["lastSurname"] = Value::Null;
        assert!(check(body).unwrap_err().contains_key("$.lastSurname"));
    }

    #[test]
    fn dates_must_be_real_days() {
        for good in ["2024-02-29", "1999-12-31"] {
            assert!(parse_date(good).is_some(), "{good}");
        }
        for bad in
            ["2023-02-29", "2024-13-01", "24-01-01", "2024-1-01", "2024-01-01T00:00:00Z", "+2024-01-01"]
        {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn natural_key_is_the_key_values_in_order() {
        let body = valid_student();
        assert_eq!(natural_key(&STUDENTS, body.as_object().unwrap()).as_deref(), Some(r#"["S1"]"#));
        assert_eq!(natural_key(&STUDENTS, json!({}).as_object().unwrap()), None);
    }
}
