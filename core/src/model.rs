//! Resources as data: one [`ResourceDef`] per Ed-Fi resource. The engine and the validator are
//! generic over these definitions, so adding a resource means adding a definition.

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
    Boolean,
    /// A whole number in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// A descriptor URI, `namespace#codeValue`.
    Descriptor,
    /// A nested object (a reference or a common type).
    Object(&'static [Field]),
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

/// One Ed-Fi resource.
#[derive(Debug)]
pub struct ResourceDef {
    /// The collection name in URLs: camelCase plural (`students`).
    pub name: &'static str,
    /// The top-level members.
    pub fields: &'static [Field],
    /// Dotted paths of the natural key members (`studentUniqueId`, `schoolReference.schoolId`).
    pub natural_key: &'static [&'static str],
    /// Whether a PUT may change the natural key.
    pub key_change_allowed: bool,
}

/// Longest descriptor URI Ed-Fi accepts: namespace (255) + `#` + codeValue (50).
pub const DESCRIPTOR_URI_MAX: usize = 306;

/// Resources are identified by their collection name.
impl PartialEq for ResourceDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ResourceDef {}
