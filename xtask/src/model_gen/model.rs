//! The model as data: what the generator derives from the XSD for each endpoint.

/// ECMAScript's `Number.MAX_SAFE_INTEGER`: `xs:long` is narrowed to ±this, as core's
/// `IntegerRange::LONG` is (canonical JSON stores no larger integer exactly).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// The entity (or common) that declares the key member, and the member's XSD name.
    pub entity: String,
    pub element: String,
    /// The role names on the way from the document to it, outermost first.
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    String { min: Option<u64>, max: Option<u64> },
    Integer { min: i64, max: i64 },
    Decimal { total: Option<u32>, fraction: Option<u32>, min: Option<String>, max: Option<String> },
    Date,
    DateTime,
    Time,
    Duration,
    Boolean,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Scalar(Scalar),
    /// Names the descriptor endpoint.
    Descriptor(String),
    /// Names the target endpoint (or abstract resource) and the members carrying its identity.
    Reference {
        target: String,
        members: Vec<RefMember>,
    },
    Object(Vec<Member>),
    Collection {
        min_items: u32,
        items: Vec<Member>,
    },
}

/// Where interchange XML holds a value: the elements from the one being mapped down to the one
/// whose text it is (none: that element itself).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct XmlSource {
    pub elements: Vec<String>,
    /// The XSD writes a school year as `2021-2022`; the API as the integer `2022`.
    pub school_year: bool,
}

#[derive(Clone, Debug)]
pub struct RefMember {
    pub name: String,
    /// The target's identity path this member fills (`$.schoolReference.schoolId`).
    pub target_path: String,
    pub kind: Kind,
    /// Where the key member comes from, seen from the target (for key unification).
    pub origin: Origin,
    /// References followed from the target to reach the member's declaring entity.
    pub hops: usize,
    /// Where the reference element holds the member; a unified key is held in several places.
    pub xml: Vec<XmlSource>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    pub identity: bool,
    /// The key member a scalar or descriptor is, and the roles of a reference (for unification).
    pub origin: Option<Origin>,
    /// The elements from the one being mapped down to this member's element (none: that element
    /// itself, as each repeated `<GradeLevel>` is an item); `None` when interchange XML has no
    /// element for it (an abstract entity's key, which only its identity type declares).
    pub xml: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Equality {
    pub source: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Uniqueness {
    /// `$.addresses[*]` for a constraint inside the items of another collection.
    pub base_path: Option<String>,
    pub paths: Vec<String>,
    pub nested: Vec<Uniqueness>,
}

#[derive(Clone, Debug)]
pub struct Superclass {
    pub resource: String,
    /// The superclass's name for the subclass's identity path, when it differs
    /// (a school's `$.schoolId` is its `$.educationOrganizationId`).
    pub identity_path: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Resource {
    /// `None` for an abstract resource (it has no endpoint of its own).
    pub endpoint: Option<String>,
    pub entity: String,
    pub group: &'static str,
    pub is_abstract: bool,
    pub superclass: Option<Superclass>,
    pub subclasses: Vec<String>,
    pub identity: Vec<String>,
    pub allow_identity_updates: bool,
    pub members: Vec<Member>,
    pub equality: Vec<Equality>,
    pub uniqueness: Vec<Uniqueness>,
    /// The interchanges whose files hold this resource's records (`StudentEnrollment` for
    /// `Interchange-StudentEnrollment.xsd`), by name; none for an abstract resource or one no
    /// interchange holds.
    pub interchanges: Vec<String>,
}

/// A top-level `…Reference` element an interchange holds (`SectionReference` in
/// `InterchangeStudentGradebook`): it names an item by its identity alone.
#[derive(Clone, Debug)]
pub struct InterchangeReference {
    pub element: String,
    pub endpoint: String,
    /// The target's identity members, as the reference element holds them.
    pub members: Vec<Member>,
}

pub struct Model {
    /// The XSD's `targetNamespace`, which interchange elements are in.
    pub namespace: String,
    pub descriptor_members: Vec<Member>,
    /// Endpoint and entity of each descriptor.
    pub descriptors: Vec<(String, String)>,
    pub resources: Vec<Resource>,
    pub abstract_resources: Vec<Resource>,
    pub interchange_references: Vec<InterchangeReference>,
}
