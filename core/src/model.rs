//! Resources as data: one [`ResourceDef`] per Ed-Fi resource. The engine, the validator, the
//! query parser and the OpenAPI generator are generic over these definitions, so adding a
//! resource means adding a definition.

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
    Boolean,
    /// A whole number in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
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
}

impl ResourceDef {
    /// The singular entity name (`student`, `gradeLevelDescriptor`).
    pub fn entity(&self) -> &'static str {
        self.name.strip_suffix('s').unwrap_or(self.name)
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
