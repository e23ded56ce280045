//! Resources as data: one [`ResourceDef`] per Ed-Fi resource. The engine, the validator, the
//! query parser and the OpenAPI generator are generic over these definitions, so adding a
//! resource means adding a definition.

use serde_json::Value;

/// The type of one JSON field, with the limits the Ed-Fi XSD gives it.
#[derive(Debug)]
pub enum Kind {
    /// A string of `min..=max` characters.
    Text {
        min: usize,
        max: usize,
    },
    /// `YYYY-MM-DD`, a real calendar date.
    Date,
    /// `HH:MM:SS`, a time of day.
    Time,
    /// An RFC 3339 date and time (`2026-11-25T10:44:01Z`, an offset, fractional seconds), or the
    /// same without an offset, as Ed-Fi clients send it.
    DateTime,
    /// An `xs:duration` (ISO 8601, `PT1H30M`), kept as the string sent.
    Duration,
    /// A decimal number of at most `total_digits` digits, `fraction_digits` of them after the point
    /// (`None`: an `xs:decimal` without facets). Within [`crate::limits::MAX_EXACT_DIGITS`]
    /// significant digits either way, so canonical JSON stores it as sent.
    Decimal {
        total_digits: Option<u32>,
        fraction_digits: Option<u32>,
    },
    Boolean,
    /// A whole number in its range.
    Integer(IntegerRange),
    /// A descriptor URI (`namespace#codeValue`) naming an item of this descriptor resource.
    Descriptor(&'static str),
    /// A nested object (a common type).
    Object(&'static [Field]),
    /// A reference to another resource by its natural key.
    Reference(&'static Reference),
    /// An array of objects, with at least `min_items` items.
    Collection {
        item: &'static [Field],
        min_items: usize,
    },
}

/// ECMAScript's `Number.MAX_SAFE_INTEGER`, 2^53 − 1: the largest integer that every larger and
/// smaller neighbour is distinguishable from as a double. Canonical JSON (RFC 8785) writes each
/// number as the double it denotes, so an integer beyond ±`MAX_SAFE_INTEGER` could be stored as
/// another one (`9007199254740993` as `9007199254740992`); no integer field takes one.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// The values an integer field takes: its XSD type's range and facets, within
/// ±[`MAX_SAFE_INTEGER`]. Built only from the XSD types below, so no field can take a value
/// canonical JSON would change; a range that would cross the limit fails to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntegerRange {
    min: i64,
    max: i64,
}

impl IntegerRange {
    /// `xs:long` (64-bit), narrowed to the integers canonical JSON stores exactly.
    pub const LONG: Self = Self::new(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    /// `xs:int` (32-bit).
    pub const INT: Self = Self::new(i32::MIN as i64, i32::MAX as i64);
    /// `xs:short` (16-bit).
    pub const SHORT: Self = Self::new(i16::MIN as i64, i16::MAX as i64);

    const fn new(min: i64, max: i64) -> Self {
        assert!(-MAX_SAFE_INTEGER <= min && min <= max && max <= MAX_SAFE_INTEGER);
        Self { min, max }
    }

    /// A range read from data (the generated model), refused if it reaches beyond
    /// ±[`MAX_SAFE_INTEGER`] or is empty.
    pub fn checked(min: i64, max: i64) -> Option<Self> {
        (-MAX_SAFE_INTEGER <= min && min <= max && max <= MAX_SAFE_INTEGER).then_some(Self { min, max })
    }

    /// A simple type restricting this one with `minInclusive` and `maxInclusive`.
    pub const fn between(self, min: i64, max: i64) -> Self {
        assert!(self.min <= min && max <= self.max, "a restriction narrows its base type");
        Self::new(min, max)
    }

    /// A simple type restricting this one with `minInclusive` only.
    pub const fn at_least(self, min: i64) -> Self {
        self.between(min, self.max)
    }

    pub const fn min(self) -> i64 {
        self.min
    }

    pub const fn max(self) -> i64 {
        self.max
    }

    /// Whether the 32-bit OpenAPI format describes every value.
    pub const fn fits_i32(self) -> bool {
        Self::INT.min <= self.min && self.max <= Self::INT.max
    }

    /// What a value outside the range is told, after its JSON path or parameter name.
    pub fn expectation(self) -> String {
        format!("must be a whole number from {} to {}.", self.min, self.max)
    }

    fn check(self, n: i128) -> Result<i64, String> {
        if (i128::from(self.min)..=i128::from(self.max)).contains(&n) {
            Ok(n as i64)
        } else {
            Err(self.expectation())
        }
    }

    /// The value of a JSON number sent for this field, or what to tell the client. Only an
    /// integer spelling is taken (`3`, not `3.0` or `3e0`), as Ed-Fi (Json.NET) takes an `int`.
    /// serde_json reads `-0` as the double −0, which it cannot tell from `-0.0`, so `-0` is refused
    /// with the rest; the message says which integer to write.
    pub fn of_json(self, value: &Value) -> Result<i64, String> {
        let Value::Number(number) = value else { return Err(self.expectation()) };
        if let Some(n) = number.as_i64() {
            return self.check(i128::from(n));
        }
        if let Some(n) = number.as_u64() {
            return self.check(i128::from(n));
        }
        // A double: a fraction or an exponent, `-0`, or an integer beyond 64 bits.
        let double = number.as_f64().unwrap_or(f64::NAN);
        let in_range = self.min as f64 <= double && double <= self.max as f64;
        if in_range && double.fract() == 0.0 {
            Err(format!(
                "must be written as the integer {}, without a decimal point, exponent or sign on zero.",
                double as i64
            ))
        } else {
            Err(self.expectation())
        }
    }

    /// The value of a query parameter naming this field, or what to tell the client.
    pub fn of_text(self, text: &str) -> Result<i64, String> {
        text.parse::<i128>().map_err(|_| self.expectation()).and_then(|n| self.check(n))
    }
}

/// One JSON member of a resource or of a nested object.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Field {
    pub const fn required(name: &'static str, kind: Kind) -> Self {
        Self { name, kind, required: true }
    }

    pub const fn optional(name: &'static str, kind: Kind) -> Self {
        Self { name, kind, required: false }
    }
}

/// A `{entity}Reference` object: the target's natural key, member by member.
#[derive(Debug)]
pub struct Reference {
    /// The referenced resource (`schools`).
    pub target: &'static str,
    /// The members, each naming the target's natural key path it carries.
    pub members: &'static [ReferenceMember],
}

#[derive(Debug)]
pub struct ReferenceMember {
    /// The member's name in the reference object (`schoolId`).
    pub name: &'static str,
    /// The target's natural key path it fills (`schoolId`, `schoolReference.schoolId`).
    pub target_path: &'static str,
    pub kind: Kind,
}

impl ReferenceMember {
    pub const fn new(name: &'static str, target_path: &'static str, kind: Kind) -> Self {
        Self { name, target_path, kind }
    }
}

/// Ed-Fi key unification: every value at `source` must equal the value at `target`. Paths are in
/// ApiSchema's form, `[*]` standing for each item of a collection
/// (`$.classPeriods[*].classPeriodReference.schoolId` = `$.courseOfferingReference.schoolId`).
#[derive(Debug)]
pub struct EqualityConstraint {
    pub source: &'static str,
    pub target: &'static str,
}

/// No two items of a collection may agree on all of `paths` (`$.gradeLevels[*].gradeLevelDescriptor`):
/// an Ed-Fi collection is keyed by these members. Paths into different collections are checked
/// per collection.
#[derive(Debug)]
pub struct UniquenessConstraint {
    pub paths: &'static [&'static str],
}

/// One Ed-Fi resource.
#[derive(Debug)]
pub struct ResourceDef {
    /// The collection name in URLs: camelCase plural (`students`).
    pub name: &'static str,
    /// The top-level members.
    pub fields: &'static [Field],
    /// Dotted paths of the natural key members (`studentUniqueId`, `schoolReference.schoolId`).
    pub natural_key: &'static [&'static str],
    /// Whether a PUT may change the natural key (the change cascades to referencing items).
    pub key_change_allowed: bool,
    /// A descriptor: natural key `namespace` + `codeValue`, compared case-insensitively.
    pub is_descriptor: bool,
    /// Key unification between members of different references.
    pub equality_constraints: &'static [EqualityConstraint],
    /// What keys each collection's items.
    pub uniqueness_constraints: &'static [UniquenessConstraint],
    /// The Ed-Fi entity (`StudentSchoolAssociation`), as ODS/API names it in a `link`'s `rel`.
    pub entity_name: &'static str,
    /// Its camelCase JSON form (`studentSchoolAssociation`, `cteProgramServiceDescriptor`).
    pub camel_entity: &'static str,
    /// The abstract resource this one is a kind of (`EducationOrganization` for `schools`).
    pub superclass: Option<&'static str>,
    /// An abstract resource has no endpoint; references to it resolve to any of these.
    pub subclasses: &'static [&'static str],
    pub is_abstract: bool,
    /// The Ed-Fi interchanges whose files hold its records (`StudentEnrollment`), from the
    /// interchange schemas; what the OpenAPI documents group resources by.
    pub interchanges: &'static [&'static str],
}

impl ResourceDef {
    /// A definition with nothing in it, to build others from in tests.
    #[cfg(test)]
    pub(crate) const EMPTY: ResourceDef = ResourceDef {
        name: "",
        fields: &[],
        natural_key: &[],
        key_change_allowed: false,
        is_descriptor: false,
        equality_constraints: &[],
        uniqueness_constraints: &[],
        entity_name: "",
        camel_entity: "",
        superclass: None,
        subclasses: &[],
        is_abstract: false,
        interchanges: &[],
    };

    /// The singular entity name in camelCase (`student`, `gradeLevelDescriptor`).
    pub fn entity(&self) -> &'static str {
        self.camel_entity
    }

    /// The field at a dotted path (`schoolReference.schoolId` is a reference member).
    pub fn field_kind(&self, path: &str) -> Option<&'static Kind> {
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut kind = &self.fields.iter().find(|f| f.name == first)?.kind;
        for segment in segments {
            kind = match kind {
                Kind::Object(fields) => &fields.iter().find(|f| f.name == segment)?.kind,
                Kind::Reference(reference) => &reference.members.iter().find(|m| m.name == segment)?.kind,
                _ => return None,
            };
        }
        Some(kind)
    }
}

/// Resources are identified by their collection name.
impl PartialEq for ResourceDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ResourceDef {}

/// Longest descriptor URI Ed-Fi accepts: namespace (255) + `#` + codeValue (50).
pub const DESCRIPTOR_URI_MAX: usize = 306;
