//! Checks a request body against a [`ResourceDef`]: required and unknown members, types, string
//! lengths, dates, descriptor URIs, reference shapes. Every problem is reported, keyed by its JSON
//! path. A valid body yields the references it makes, for the engine to resolve.

use serde_json::{Map, Value};

use crate::model::{Field, Kind, Reference, ResourceDef, DESCRIPTOR_URI_MAX};
use crate::problem::ValidationErrors;
use crate::resources;
use crate::wire::SERVER_FIELDS;

/// A reference a body makes: to an item of `target` with natural key `key`, found at `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub target: &'static str,
    pub key: String,
    pub path: String,
}

/// Validates a body and returns the references it makes. Server-owned members (`id`, `_etag`,
/// `_lastModifiedDate`, `changeVersion`) are allowed at the top level and ignored here; the engine
/// decides what an `id` means.
pub fn validate(def: &ResourceDef, body: &Map<String, Value>) -> Result<Vec<Ref>, ValidationErrors> {
    let mut check = Check::default();
    check.object(def.fields, body, "$", true);
    if check.errors.is_empty() {
        check.equality_constraints(def, body);
        check.uniqueness_constraints(def, body);
    }
    if check.errors.is_empty() {
        Ok(check.references)
    } else {
        Err(check.errors)
    }
}

/// Ed-Fi clients send numbers and booleans as strings (`"schoolId": "255901001"`,
/// `"currentSchoolYear": "true"`), and ODS/API and DMS take them. This rewrites such members, at
/// any depth, to their field's type before validation, so the stored content, its ETag and its
/// natural key are those of the typed value. Only exact spellings are taken (an optional `-` and
/// digits; `true` or `false` in any case); anything else is left as sent for validation to report.
pub fn coerce(def: &ResourceDef, body: &mut Map<String, Value>) {
    coerce_object(def.fields, body);
}

fn coerce_object(fields: &[Field], object: &mut Map<String, Value>) {
    for field in fields {
        if let Some(value) = object.get_mut(field.name) {
            coerce_value(&field.kind, value);
        }
    }
}

fn coerce_value(kind: &Kind, value: &mut Value) {
    match (kind, &mut *value) {
        (Kind::Integer(_), Value::String(text)) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if let Some(n) = integer.then(|| text.parse::<i64>().ok()).flatten() {
                *value = Value::from(n);
            }
        }
        (Kind::Decimal { .. }, Value::String(text)) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
            let plain = !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit());
            let significant = format!("{whole}{fraction}").trim_matches('0').len();
            let parsed = plain.then(|| text.parse::<f64>().ok()).flatten();
            if let Some(number) = parsed.filter(|_| significant <= crate::limits::MAX_EXACT_DIGITS) {
                if let Some(number) = serde_json::Number::from_f64(number) {
                    *value = Value::Number(number);
                }
            }
        }
        (Kind::Boolean, Value::String(text)) => {
            if text.eq_ignore_ascii_case("true") {
                *value = Value::Bool(true);
            } else if text.eq_ignore_ascii_case("false") {
                *value = Value::Bool(false);
            }
        }
        (Kind::Object(fields), Value::Object(object)) => coerce_object(fields, object),
        (Kind::Reference(reference), Value::Object(object)) => {
            for member in reference.members {
                if let Some(value) = object.get_mut(member.name) {
                    coerce_value(&member.kind, value);
                }
            }
        }
        (Kind::Collection { item, .. }, Value::Array(items)) => {
            for object in items.iter_mut().filter_map(Value::as_object_mut) {
                coerce_object(item, object);
            }
        }
        _ => {}
    }
}

/// The natural key of a validated body, as JSON text of the key values in definition order.
/// Descriptor keys are lower-cased: descriptors compare case-insensitively.
/// Returns `None` when a key member is missing (validation reports that).
pub fn natural_key(def: &ResourceDef, body: &Map<String, Value>) -> Option<String> {
    let values =
        def.natural_key.iter().map(|path| lookup(body, path).cloned()).collect::<Option<Vec<Value>>>()?;
    Some(key_text(values, def.is_descriptor))
}

/// The natural key values by their last path segment (`{"schoolId": 1, "classPeriodName": "A"}`),
/// as Ed-Fi reports them in `/deletes` and `/keyChanges`.
pub fn key_values(def: &ResourceDef, key: &str) -> Value {
    let values: Vec<Value> = serde_json::from_str(key).unwrap_or_default();
    let names = def.natural_key.iter().map(|path| path.rsplit('.').next().unwrap_or(path).to_owned());
    Value::Object(names.zip(values).collect())
}

/// The natural key a descriptor URI names: its namespace and code value, lower-cased.
pub fn descriptor_key(uri: &str) -> Option<String> {
    let (namespace, code) = crate::wire::descriptor_parts(uri)?;
    Some(key_text(vec![Value::from(namespace), Value::from(code)], true))
}

fn key_text(values: Vec<Value>, lower_case: bool) -> String {
    let values = values.into_iter().map(|v| match v {
        Value::String(s) if lower_case => Value::String(s.to_lowercase()),
        other => other,
    });
    Value::Array(values.collect()).to_string()
}

/// The natural key of the item a reference object points at (`None` if a member is missing).
pub fn reference_key(reference: &Reference, object: &Map<String, Value>) -> Option<String> {
    let target = resources::find(reference.target)?;
    let values = target.natural_key.iter().map(|key_path| {
        let member = reference.members.iter().find(|m| m.target_path == *key_path)?;
        object.get(member.name).filter(|v| !v.is_null()).cloned()
    });
    Some(key_text(values.collect::<Option<Vec<Value>>>()?, target.is_descriptor))
}

/// The values at a JSON path in ApiSchema's form (`$.classPeriods[*].classPeriodReference.schoolId`),
/// each with its concrete path (`$.classPeriods[2].classPeriodReference.schoolId`); `null` and
/// missing members are left out.
pub fn values_at<'a>(body: &'a Map<String, Value>, path: &str) -> Vec<(String, &'a Value)> {
    fn walk<'a>(
        object: &'a Map<String, Value>,
        segments: &[&str],
        at: &str,
        out: &mut Vec<(String, &'a Value)>,
    ) {
        let Some((segment, rest)) = segments.split_first() else { return };
        let (name, each) = match segment.strip_suffix("[*]") {
            Some(name) => (name, true),
            None => (*segment, false),
        };
        let Some(member) = object.get(name) else { return };
        let at = format!("{at}.{name}");
        let reached: Vec<(String, &Value)> = match (each, member) {
            (false, member) => vec![(at, member)],
            (true, Value::Array(items)) => {
                items.iter().enumerate().map(|(i, item)| (format!("{at}[{i}]"), item)).collect()
            }
            (true, _) => Vec::new(),
        };
        for (at, value) in reached {
            match value.as_object() {
                _ if rest.is_empty() && !value.is_null() => out.push((at, value)),
                Some(object) if !rest.is_empty() => walk(object, rest, &at, out),
                _ => {}
            }
        }
    }
    let segments: Vec<&str> = path.trim_start_matches('$').split('.').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    walk(body, &segments, "$", &mut out);
    out
}

/// The value at a dotted member path (`studentReference.studentUniqueId`), unless absent or null.
pub fn lookup<'a>(body: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut value = body.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    (!value.is_null()).then_some(value)
}

#[derive(Default)]
struct Check {
    errors: ValidationErrors,
    references: Vec<Ref>,
}

impl Check {
    fn object(&mut self, fields: &[Field], object: &Map<String, Value>, path: &str, top_level: bool) {
        for (name, value) in object {
            if top_level && SERVER_FIELDS.contains(&name.as_str()) {
                continue;
            }
            let member_path = format!("{path}.{name}");
            match fields.iter().find(|f| f.name == name) {
                None => self.report(&member_path, format!("'{name}' is not a member of this resource.")),
                Some(field) if value.is_null() => {
                    if field.required {
                        self.report(&member_path, format!("'{name}' is required."));
                    }
                }
                Some(field) => self.value(&field.kind, value, &member_path),
            }
        }
        for field in fields.iter().filter(|f| f.required) {
            if !object.contains_key(field.name) {
                self.report(&format!("{path}.{}", field.name), format!("'{}' is required.", field.name));
            }
        }
    }

    fn value(&mut self, kind: &Kind, value: &Value, path: &str) {
        match kind {
            Kind::Text { min, max } => match value.as_str() {
                None => self.report(path, "must be a string.".to_owned()),
                Some(s) => {
                    let chars = s.chars().count();
                    if s.trim().is_empty() && *min > 0 {
                        self.report(path, "must not be empty or only whitespace.".to_owned());
                    } else if chars < *min || chars > *max {
                        self.report(path, format!("must be between {min} and {max} characters long."));
                    }
                }
            },
            Kind::Date => match value.as_str() {
                Some(s) if parse_date(s).is_some() => {}
                _ => self.report(path, "must be a date in the form YYYY-MM-DD.".to_owned()),
            },
            Kind::Time => match value.as_str() {
                Some(s) if parse_time(s).is_some() => {}
                _ => self.report(path, "must be a time of day in the form HH:MM:SS.".to_owned()),
            },
            Kind::DateTime => match value.as_str() {
                Some(s) if is_date_time(s) => {}
                _ => self.report(path, "must be a date and time such as 2026-11-25T10:44:01Z.".to_owned()),
            },
            Kind::Duration => match value.as_str() {
                Some(s) if is_duration(s) => {}
                _ => self.report(
                    path,
                    format!("must be an ISO 8601 duration such as PT1H30M (at most {DURATION_MAX} characters)."),
                ),
            },
            Kind::Decimal { total_digits, fraction_digits } => {
                if let Err(message) = decimal_fits(value, *total_digits, *fraction_digits) {
                    self.report(path, message);
                }
            }
            Kind::Boolean => {
                if !value.is_boolean() {
                    self.report(path, "must be true or false.".to_owned());
                }
            }
            Kind::Integer(range) => {
                if let Err(message) = range.of_json(value) {
                    self.report(path, message);
                }
            }
            Kind::Descriptor(target) => match value.as_str().filter(|s| is_descriptor_uri(s)).and_then(descriptor_key) {
                Some(key) => self.references.push(Ref { target, key, path: path.to_owned() }),
                None => self.report(
                    path,
                    format!("must be a descriptor URI such as 'uri://ed-fi.org/SexDescriptor#Female' (at most {DESCRIPTOR_URI_MAX} characters)."),
                ),
            },
            Kind::Object(fields) => match value.as_object() {
                Some(object) => self.object(fields, object, path, false),
                None => self.report(path, "must be an object.".to_owned()),
            },
            Kind::Reference(reference) => match value.as_object() {
                Some(object) => self.reference(reference, object, path),
                None => self.report(path, "must be an object.".to_owned()),
            },
            Kind::Collection { item, min_items } => match value.as_array() {
                Some(items) => {
                    if items.len() < *min_items {
                        self.report(path, format!("must have at least {min_items} item(s)."));
                    }
                    for (i, element) in items.iter().enumerate() {
                        let element_path = format!("{path}[{i}]");
                        match element.as_object() {
                            Some(object) => self.object(item, object, &element_path, false),
                            None => self.report(&element_path, "must be an object.".to_owned()),
                        }
                    }
                }
                None => self.report(path, "must be an array.".to_owned()),
            },
        }
    }

    /// A reference object: exactly its members, all required; yields the target's natural key.
    fn reference(&mut self, reference: &Reference, object: &Map<String, Value>, path: &str) {
        let errors_before = self.errors.len();
        for name in object.keys() {
            if !reference.members.iter().any(|m| m.name == name) {
                self.report(
                    &format!("{path}.{name}"),
                    format!("'{name}' is not a member of this reference."),
                );
            }
        }
        for member in reference.members {
            let member_path = format!("{path}.{}", member.name);
            match object.get(member.name).filter(|v| !v.is_null()) {
                Some(value) => self.value(&member.kind, value, &member_path),
                None => self.report(&member_path, format!("'{}' is required.", member.name)),
            }
        }
        if self.errors.len() > errors_before {
            return;
        }
        if let Some(key) = reference_key(reference, object) {
            self.references.push(Ref { target: reference.target, key, path: path.to_owned() });
        }
    }

    /// Ed-Fi key unification: every value at a constraint's source path must equal the value at
    /// its target path (`sessionReference.schoolId` is `schoolReference.schoolId`).
    fn equality_constraints(&mut self, def: &ResourceDef, body: &Map<String, Value>) {
        for constraint in def.equality_constraints {
            let Some((target_path, expected)) = values_at(body, constraint.target).into_iter().next() else {
                continue;
            };
            for (path, value) in values_at(body, constraint.source) {
                if value != expected {
                    self.report(&path, format!("must equal {target_path} ({expected})."));
                }
            }
        }
    }

    /// No two items of a collection may agree on every member that keys it. Strings compare
    /// case-insensitively, as descriptor URIs do and as ODS/API's database collation does.
    fn uniqueness_constraints(&mut self, def: &ResourceDef, body: &Map<String, Value>) {
        for constraint in def.uniqueness_constraints {
            // Paths into one collection key its items together; each collection is checked alone.
            let mut collections: Vec<(&str, Vec<&str>)> = Vec::new();
            for path in constraint.paths {
                let Some((collection, member)) = path.split_once("[*]") else { continue };
                match collections.iter_mut().find(|(c, _)| *c == collection) {
                    Some((_, members)) => members.push(member),
                    None => collections.push((collection, vec![member])),
                }
            }
            for (collection, members) in collections {
                let Some(Value::Array(items)) =
                    values_at(body, collection).into_iter().next().map(|(_, v)| v)
                else {
                    continue;
                };
                let mut seen: Vec<Vec<Value>> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let Some(item) = item.as_object() else { continue };
                    let key: Vec<Value> = members
                        .iter()
                        .map(|member| {
                            let value =
                                values_at(item, &format!("${member}")).into_iter().next().map(|(_, v)| v);
                            match value {
                                Some(Value::String(s)) => Value::String(s.to_lowercase()),
                                Some(other) => other.clone(),
                                None => Value::Null,
                            }
                        })
                        .collect();
                    match seen.iter().position(|k| *k == key) {
                        Some(first) => self.report(
                            &format!("{collection}[{i}]"),
                            format!(
                                "duplicates {collection}[{first}]: the items of a collection must differ in {}.",
                                members.iter().map(|m| m.trim_start_matches('.')).collect::<Vec<_>>().join(", ")
                            ),
                        ),
                        None => seen.push(key),
                    }
                }
            }
        }
    }

    fn report(&mut self, path: &str, message: String) {
        self.errors.entry(path.to_owned()).or_default().push(message);
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

/// An RFC 3339 date-time, or one without an offset (`2026-11-25T10:44:01`, fractional seconds
/// allowed), as Ed-Fi's ODS/API takes them.
pub fn is_date_time(s: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    if time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return true;
    }
    let (Some(date), Some('T' | 't'), Some(clock)) =
        (s.get(..10), s[10.min(s.len())..].chars().next(), s.get(11..19))
    else {
        return false;
    };
    let fraction = &s[19.min(s.len())..];
    let fraction_ok = fraction.is_empty()
        || fraction
            .strip_prefix('.')
            .is_some_and(|d| !d.is_empty() && d.len() <= 9 && d.bytes().all(|b| b.is_ascii_digit()));
    parse_date(date).is_some() && parse_time(clock).is_some() && fraction_ok
}

/// The longest duration text Ed-Fi stores (ODS/API keeps `xs:duration` in 30 characters).
pub const DURATION_MAX: usize = 30;

/// An ISO 8601 duration as `xs:duration` spells it: `P`, then years, months and days, then `T`
/// and hours, minutes and seconds (seconds may have a fraction); at least one part, and one after
/// a `T`.
pub fn is_duration(s: &str) -> bool {
    if s.len() > DURATION_MAX {
        return false;
    }
    let Some(rest) = s.strip_prefix('-').unwrap_or(s).strip_prefix('P') else { return false };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    // Each part is digits then its letter, the letters in order; only seconds take a fraction.
    let parts = |text: &str, letters: &[char], fraction_on: Option<char>| -> Option<usize> {
        let (mut count, mut next, mut rest) = (0, 0, text);
        while !rest.is_empty() {
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
            let (number, letter) = (&rest[..end], rest[end..].chars().next()?);
            let position = letters.iter().position(|l| *l == letter).filter(|p| *p >= next)?;
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            let fraction_ok =
                number.contains('.').then_some(Some(letter) == fraction_on && !fraction.is_empty());
            if whole.is_empty() || !fraction_ok.unwrap_or(true) {
                return None;
            }
            (count, next, rest) = (count + 1, position + 1, &rest[end + 1..]);
        }
        Some(count)
    };
    let Some(date_parts) = parts(date, &['Y', 'M', 'D'], None) else { return false };
    match time {
        None => date_parts > 0,
        Some(time) => parts(time, &['H', 'M', 'S'], Some('S')).is_some_and(|n| n > 0),
    }
}

/// Whether a JSON value is a decimal within XSD `totalDigits` / `fractionDigits`, read as SQL's
/// DECIMAL(total, fraction), from the shortest decimal of its double (exact for what
/// [`crate::limits::inexact_number`] lets through).
pub fn decimal_fits(value: &Value, total: Option<u32>, fraction: Option<u32>) -> Result<(), String> {
    let expectation = || match (total, fraction) {
        (Some(t), Some(f)) => format!(
            "must be a number with at most {} digits before the decimal point and {f} after it.",
            t.saturating_sub(f)
        ),
        (Some(t), None) => format!("must be a number of at most {t} digits."),
        (None, Some(f)) => format!("must be a number with at most {f} digits after the decimal point."),
        (None, None) => "must be a number.".to_owned(),
    };
    let Value::Number(number) = value else { return Err(expectation()) };
    let exact_integer = number.as_i64().map(|n| n.unsigned_abs()).or(number.as_u64());
    if exact_integer.is_some_and(|n| n > crate::model::MAX_SAFE_INTEGER as u64) {
        return Err(format!("{} (it is beyond the integers stored exactly)", expectation()));
    }
    let Some(double) = number.as_f64().filter(|d| d.is_finite()) else { return Err(expectation()) };
    // Rust prints the shortest decimal that reads back as the same double, without an exponent.
    let text = format!("{}", double.abs());
    let (whole, decimals) = text.split_once('.').unwrap_or((&text, ""));
    let whole_digits = whole.trim_start_matches('0').len() as u32;
    let fraction_digits = decimals.len() as u32;
    // As the database column Ed-Fi's ODS/API declares, DECIMAL(total, fraction): the whole part
    // takes what the fraction leaves, so data moves to an ODS unchanged.
    let fits = match (total, fraction) {
        (Some(t), Some(f)) => whole_digits <= t.saturating_sub(f) && fraction_digits <= f,
        (Some(t), None) => whole_digits + fraction_digits <= t,
        (None, Some(f)) => fraction_digits <= f,
        (None, None) => true,
    };
    if fits {
        Ok(())
    } else {
        Err(expectation())
    }
}

/// `HH:MM:SS` on a 24-hour clock.
pub fn parse_time(s: &str) -> Option<time::Time> {
    let format = time::macros::format_description!("[hour]:[minute]:[second]");
    if s.len() != 8 {
        return None;
    }
    time::Time::parse(s, &format).ok()
}

fn is_descriptor_uri(s: &str) -> bool {
    match crate::wire::descriptor_parts(s) {
        Some((namespace, code)) => {
            !namespace.trim().is_empty()
                && !code.trim().is_empty()
                && s.chars().count() <= DESCRIPTOR_URI_MAX
                && !s.chars().any(char::is_control)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn check(body: Value) -> Result<Vec<Ref>, ValidationErrors> {
        validate(crate::resources::get("students"), body.as_object().unwrap())
    }

    fn valid_student() -> Value {
        json!({
            "studentUniqueId": "S1", "firstName": "Ana", "lastSurname": "Diaz",
            "birthDate": "2010-02-28",
        })
    }

    #[test]
    fn accepts_a_minimal_and_a_full_student() {
        assert!(check(valid_student()).is_ok());
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
        assert_eq!(check(full).unwrap().len(), 2, "two descriptor references");
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
        assert!(check(body).is_ok(), "32 two-byte characters are 32 characters");
    }

    #[test]
    fn required_null_is_missing() {
        let mut body = valid_student();
        body["lastSurname"] = Value::Null;
        assert!(check(body).unwrap_err().contains_key("$.lastSurname"));
    }

    #[test]
    fn key_members_carried_by_two_references_must_agree() {
        let offering = |session_school: i64| {
            json!({
                "localCourseCode": "ALG-1",
                "schoolReference": {"schoolId": 1},
                "sessionReference": {"schoolId": session_school, "schoolYear": 2027, "sessionName": "Fall"},
                "courseReference": {"courseCode": "ALG-1", "educationOrganizationId": 9},
            })
        };
        let def = crate::resources::get("courseOfferings");
        assert!(
            validate(def, offering(1).as_object().unwrap()).is_ok(),
            "a course of another ed org is fine"
        );
        let errors = validate(def, offering(2).as_object().unwrap()).unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["$.sessionReference.schoolId"]);
    }

    #[test]
    fn every_class_period_of_a_section_is_at_the_offerings_school() {
        let section = |period_school: i64| {
            json!({
                "sectionIdentifier": "ALG-1-01",
                "courseOfferingReference": {"localCourseCode": "ALG-1", "schoolId": 1, "schoolYear": 2027, "sessionName": "Fall"},
                "classPeriods": [
                    {"classPeriodReference": {"classPeriodName": "01", "schoolId": 1}},
                    {"classPeriodReference": {"classPeriodName": "02", "schoolId": period_school}},
                ],
            })
        };
        let def = crate::resources::get("sections");
        assert!(validate(def, section(1).as_object().unwrap()).is_ok());
        let errors = validate(def, section(2).as_object().unwrap()).unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["$.classPeriods[1].classPeriodReference.schoolId"]);
        let message = &errors["$.classPeriods[1].classPeriodReference.schoolId"][0];
        assert!(message.contains("$.courseOfferingReference.schoolId"), "{message}");
    }

    #[test]
    fn no_two_items_of_a_collection_share_their_key() {
        let school = |grades: &[&str]| {
            let grades: Vec<Value> = grades
                .iter()
                .map(|g| json!({"gradeLevelDescriptor": format!("uri://ed-fi.org/GradeLevelDescriptor#{g}")}))
                .collect();
            json!({
                "schoolId": 1, "nameOfInstitution": "A",
                "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
                "gradeLevels": grades,
            })
        };
        let def = crate::resources::get("schools");
        assert!(validate(def, school(&["Ninth grade", "Tenth grade"]).as_object().unwrap()).is_ok());
        // Descriptor URIs compare case-insensitively, so these are the same grade.
        let errors =
            validate(def, school(&["Ninth grade", "Tenth grade", "NINTH GRADE"]).as_object().unwrap())
                .unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["$.gradeLevels[2]"]);
        assert!(errors["$.gradeLevels[2]"][0].contains("$.gradeLevels[0]"), "{errors:?}");
        // A collection keyed by two members: items differing in one of them are distinct.
        let period = |times: &[(&str, &str)]| {
            let times: Vec<Value> =
                times.iter().map(|(s, e)| json!({"startTime": s, "endTime": e})).collect();
            json!({"classPeriodName": "01", "schoolReference": {"schoolId": 1}, "meetingTimes": times})
        };
        let def = crate::resources::get("classPeriods");
        assert!(validate(
            def,
            period(&[("08:00:00", "08:50:00"), ("08:00:00", "09:50:00")]).as_object().unwrap()
        )
        .is_ok());
        let twice = period(&[("08:00:00", "08:50:00"), ("08:00:00", "08:50:00")]);
        assert_eq!(
            validate(def, twice.as_object().unwrap()).unwrap_err().keys().collect::<Vec<_>>(),
            ["$.meetingTimes[1]"]
        );
    }

    #[test]
    fn values_at_expands_collections_and_names_each_place() {
        let body = json!({"a": [{"b": {"c": 1}}, {"b": {"c": null}}, {"b": {"c": 3}}, 7], "d": {"e": "x"}});
        let body = body.as_object().unwrap();
        let found = |path: &str| -> Vec<(String, Value)> {
            values_at(body, path).into_iter().map(|(p, v)| (p, v.clone())).collect()
        };
        assert_eq!(
            found("$.a[*].b.c"),
            [("$.a[0].b.c".to_owned(), json!(1)), ("$.a[2].b.c".to_owned(), json!(3))]
        );
        assert_eq!(found("$.d.e"), [("$.d.e".to_owned(), json!("x"))]);
        assert_eq!(found("$.d[*].e"), [], "not a collection");
        assert_eq!(found("$.missing.x"), []);
    }

    #[test]
    fn date_times_are_rfc_3339_or_without_an_offset() {
        for good in [
            "2026-11-25T10:44:01Z",
            "2026-11-25T10:44:01.123Z",
            "2026-11-25T10:44:01+02:00",
            "2026-11-25T10:44:01",
            "2026-11-25T10:44:01.1234567",
        ] {
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "2026-11-25",
            "2026-11-25 10:44:01",
            "2026-02-30T10:44:01Z",
            "2026-11-25T25:00:00Z",
            "2026-11-25T10:44:01.",
            "2026-11-25T10:44:01Zjunk",
            "é",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn durations_are_iso_8601() {
        for good in ["PT1H30M", "P1Y2M3D", "P3DT4H", "PT0.5S", "-PT15M", "P0D"] {
            assert!(is_duration(good), "{good}");
        }
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "PT1.5H",
            "P1H",
            "PT1M1H",
            "P1DT",
            "PT1H30",
            "P1.Y",
            &format!("P{}D", "1".repeat(30)),
        ] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn decimals_take_their_total_and_fraction_digits() {
        // (value, fits decimal(5, 2))
        let table = [
            (json!(123.45), true),
            (json!(-123.45), true),
            (json!(0.05), true),
            (json!(999), true),
            (json!(999.99), true),
            (json!(1000), false),
            (json!(1.5), true),
            (json!(1234.5), false),
            (json!(1.234), false),
            (json!(100000), false),
            (json!("1.5"), false),
            (json!(true), false),
        ];
        for (value, fits) in table {
            assert_eq!(decimal_fits(&value, Some(5), Some(2)).is_ok(), fits, "{value}");
        }
        assert!(decimal_fits(&json!(1e300), None, None).is_ok(), "no facets: any finite number");
        assert!(
            decimal_fits(&json!(9007199254740993u64), Some(18), Some(2)).is_err(),
            "beyond exact integers"
        );
    }

    #[test]
    fn decimal_strings_are_coerced_only_when_exact() {
        const FIELDS: &[Field] =
            &[Field::required("amount", Kind::Decimal { total_digits: Some(9), fraction_digits: Some(2) })];
        let def = ResourceDef {
            name: "tests",
            fields: FIELDS,
            natural_key: &["amount"],
            key_change_allowed: false,
            is_descriptor: false,
            equality_constraints: &[],
            uniqueness_constraints: &[],
            ..ResourceDef::EMPTY
        };
        for (sent, stored) in [
            (json!("12.50"), json!(12.5)),
            (json!("-3"), json!(-3.0)),
            (json!("1.0000000000000001"), json!("1.0000000000000001")),
            (json!("1e3"), json!("1e3")),
            (json!(" 1"), json!(" 1")),
        ] {
            let mut body = json!({ "amount": sent }).as_object().unwrap().clone();
            coerce(&def, &mut body);
            assert_eq!(body["amount"], stored, "{sent}");
        }
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
        assert_eq!(
            natural_key(crate::resources::get("students"), body.as_object().unwrap()).as_deref(),
            Some(r#"["S1"]"#)
        );
        assert_eq!(natural_key(crate::resources::get("students"), json!({}).as_object().unwrap()), None);
    }
}

/// Integer fields: the range each takes from its XSD type, at every place it occurs, and the
/// answer to each spelling of a number.
#[cfg(test)]
mod integer_tests {
    use super::*;
    use crate::resources::all as every_resource;

    /// ±(2^53 − 1): the integers canonical JSON stores exactly.
    const SAFE: i64 = 9_007_199_254_740_991;
    const INT_MAX: i64 = i32::MAX as i64;

    /// Every integer field of every resource with its allowed range (the reasons are in
    /// `resources.rs`): `xs:long` ids narrowed to the safe integers, `SchoolYearType`, and the
    /// `xs:int` simple types with their `minInclusive`/`maxInclusive`.
    const INTEGER_FIELDS: &[(&str, &str, i64, i64)] = &[
        ("schoolYearTypes", "schoolYear", 1900, 2100),
        ("schools", "schoolId", -SAFE, SAFE),
        ("classPeriods", "schoolReference.schoolId", -SAFE, SAFE),
        ("courses", "educationOrganizationReference.educationOrganizationId", -SAFE, SAFE),
        ("courses", "numberOfParts", 1, 8),
        ("sessions", "schoolReference.schoolId", -SAFE, SAFE),
        ("sessions", "schoolYearTypeReference.schoolYear", 1900, 2100),
        ("sessions", "totalInstructionalDays", 0, INT_MAX),
        ("courseOfferings", "schoolReference.schoolId", -SAFE, SAFE),
        ("courseOfferings", "sessionReference.schoolId", -SAFE, SAFE),
        ("courseOfferings", "sessionReference.schoolYear", 1900, 2100),
        ("courseOfferings", "courseReference.educationOrganizationId", -SAFE, SAFE),
        ("courseOfferings", "instructionalTimePlanned", 1, INT_MAX),
        ("sections", "courseOfferingReference.schoolId", -SAFE, SAFE),
        ("sections", "courseOfferingReference.schoolYear", 1900, 2100),
        ("sections", "sequenceOfCourse", 1, 8),
        ("sections", "classPeriods[0].classPeriodReference.schoolId", -SAFE, SAFE),
        ("studentSchoolAssociations", "schoolReference.schoolId", -SAFE, SAFE),
    ];

    /// The paths of the scalar fields under `fields` with their kinds, a collection's first item
    /// standing for all.
    fn scalar_paths(fields: &'static [Field], prefix: &str, out: &mut Vec<(String, &'static Kind)>) {
        for field in fields {
            let path = format!("{prefix}{}", field.name);
            match &field.kind {
                Kind::Object(inner) => scalar_paths(inner, &format!("{path}."), out),
                Kind::Collection { item, .. } => scalar_paths(item, &format!("{path}[0]."), out),
                Kind::Reference(reference) => {
                    for member in reference.members {
                        out.push((format!("{path}.{}", member.name), &member.kind));
                    }
                }
                kind => out.push((path, kind)),
            }
        }
    }

    fn all_scalar_paths() -> Vec<(&'static str, String, &'static Kind)> {
        let mut all = Vec::new();
        for def in every_resource() {
            let mut paths = Vec::new();
            scalar_paths(def.fields, "", &mut paths);
            all.extend(paths.into_iter().map(|(path, kind)| (def.name, path, kind)));
        }
        all
    }

    /// A body holding only `number` (JSON text) at `path`; every other member is missing.
    fn body_at(path: &str, number: &str) -> Map<String, Value> {
        let mut text = number.to_owned();
        for segment in path.rsplit('.') {
            text = match segment.strip_suffix("[0]") {
                Some(name) => format!(r#"{{"{name}":[{text}]}}"#),
                None => format!(r#"{{"{segment}":{text}}}"#),
            };
        }
        serde_json::from_str(&text).unwrap()
    }

    /// The messages reported at `path` when `number` is sent there (none: the value is accepted).
    fn messages(resource: &str, path: &str, number: &str) -> Vec<String> {
        let def = resources::find(resource).unwrap();
        let errors = validate(def, &body_at(path, number)).expect_err("other members are missing");
        errors.get(&format!("$.{path}")).cloned().unwrap_or_default()
    }

    #[test]
    fn the_table_pins_integer_fields_of_the_core_resources_and_all_stay_exact() {
        let defined: Vec<(&str, String, &Kind)> =
            all_scalar_paths().into_iter().filter(|(.., kind)| matches!(kind, Kind::Integer(_))).collect();
        for (resource, path, ..) in INTEGER_FIELDS {
            assert!(defined.iter().any(|(r, p, _)| r == resource && p == path), "{resource} {path}");
        }
        // The generated model takes each range from the XSD; none reaches past the safe integers.
        for (resource, path, kind) in &defined {
            let Kind::Integer(range) = kind else { unreachable!() };
            assert!(-SAFE <= range.min() && range.max() <= SAFE, "{resource} {path}");
        }
        assert!(defined.len() > 300, "{} integer fields", defined.len());
    }

    #[test]
    fn each_integer_field_takes_exactly_its_range() {
        for &(resource, path, min, max) in INTEGER_FIELDS {
            let (min, max) = (i128::from(min), i128::from(max));
            for inside in [min, min + 1, max - 1, max] {
                let found = messages(resource, path, &inside.to_string());
                assert!(found.is_empty(), "{resource} {path} = {inside}: {found:?}");
            }
            for outside in [min - 1, max + 1, min - 2, max + 2] {
                let found = messages(resource, path, &outside.to_string());
                let range = format!("from {min} to {max}");
                assert!(
                    found.len() == 1 && found[0].contains(&range),
                    "{resource} {path} = {outside}: {found:?}, wanted one message naming {range}"
                );
            }
        }
    }

    /// Numbers a 64-bit reading would take or change: each is refused with the allowed range.
    #[test]
    fn integers_beyond_what_is_stored_exactly_are_refused_with_the_range() {
        for number in [
            "9007199254740992",
            "9007199254740993",
            "-9007199254740992",
            "-9007199254740993",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1e16",
            "1e300",
        ] {
            let found = messages("schools", "schoolId", number);
            assert_eq!(
                found,
                ["must be a whole number from -9007199254740991 to 9007199254740991."],
                "{number}"
            );
        }
    }

    /// A whole number spelled with a fraction or an exponent is refused, as Ed-Fi (Json.NET) does;
    /// serde_json reads `-0` as the double −0, indistinguishable from `-0.0`, so it is refused too.
    #[test]
    fn whole_numbers_must_be_spelled_as_integers() {
        for (number, integer) in [("3.0", "3"), ("1e3", "1000"), ("1E+3", "1000"), ("-0", "0"), ("0.0", "0")]
        {
            let found = messages("sessions", "totalInstructionalDays", number);
            assert_eq!(
                found,
                [format!("must be written as the integer {integer}, without a decimal point, exponent or sign on zero.")],
                "{number}"
            );
        }
        for not_whole in ["3.5", "1e-3", "\"5\"", "true", "[5]", "{}"] {
            let found = messages("sessions", "totalInstructionalDays", not_whole);
            assert_eq!(found, ["must be a whole number from 0 to 2147483647."], "{not_whole}");
        }
    }

    #[test]
    fn a_32_bit_field_refuses_what_does_not_fit_in_32_bits() {
        for number in ["2147483648", "4294967296", "9007199254740991"] {
            assert_eq!(
                messages("courseOfferings", "instructionalTimePlanned", number),
                ["must be a whole number from 1 to 2147483647."],
                "{number}"
            );
        }
    }

    /// The bounds are stored as sent: canonical JSON writes them with the same digits.
    #[test]
    fn every_accepted_integer_is_stored_with_the_digits_sent() {
        for &(resource, path, min, max) in INTEGER_FIELDS {
            for n in [min, max] {
                let body = body_at(path, &n.to_string());
                let stored = crate::content::Content::from_body(&body);
                let leaf = path.rsplit('.').next().unwrap();
                assert!(
                    stored.canonical().contains(&format!(r#""{leaf}":{n}"#)),
                    "{resource} {path}: {stored:?}"
                );
            }
        }
    }

    /// The only numbers a body may hold are integers in an integer field's range: every other
    /// member refuses a number, and an unknown member is refused whatever it holds. (Server-owned
    /// top-level members are not content: they are never stored.)
    #[test]
    fn no_other_member_takes_a_number() {
        for (resource, path, kind) in all_scalar_paths() {
            if matches!(kind, Kind::Integer(_) | Kind::Decimal { .. }) {
                continue;
            }
            for number in ["1", "1.5", "9007199254740993"] {
                let found = messages(resource, path.as_str(), number);
                assert!(!found.is_empty(), "{resource} {path} took {number}");
            }
        }
        for (resource, path) in [
            ("schools", "extra"),
            ("sessions", "schoolReference.extra"),
            ("sections", "classPeriods[0].extra"),
        ] {
            assert_eq!(messages(resource, path, "1").len(), 1, "{resource} {path}");
        }
        let body = body_at("changeVersion", "9007199254740993");
        assert_eq!(crate::content::Content::from_body(&body).canonical(), "{}");
    }
}
