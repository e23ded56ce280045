//! From the XSD (and the ApiSchema project facts where the XSD is silent) to the [`Model`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::*;
use super::naming::{
    capitalize, descriptor_name, drop_parent_prefix, pluralize, prefix_collapsed, uncapitalize,
};
use super::xsd::{ComplexType, Element, Interchange, Schema};
use crate::Result;

/// Commons that are used only as single values but are their own JSON objects, not flattened
/// into their parent: the XSD writes inline commons and these alike, and only MetaEd's source
/// tells them apart. Each has a table of its own in the ODS/API's DS 5.2 database and an object
/// in ApiSchema (`classRanking`, `contentStandard`, `studentBusDetails`).
const SCALAR_COMMONS_KEPT_AS_OBJECTS: [&str; 3] = ["ClassRanking", "ContentStandard", "StudentBusDetails"];

/// Commons whose identity (the uniqueness key of their items) is not the default of
/// [`common_identity`]: the XSD does not mark a common's identity, ApiSchema does
/// (`apischema/ds-5.2-resources/schools.json`, `arrayUniquenessConstraints` of `addresses` and
/// `internationalAddresses`), and so does the ODS/API's primary key of the common's table
/// (`AssessmentAdministrationParticipationAdministrationPointOfContact_PK`: the parent's key,
/// `EducationOrganizationId`, `ElectronicMailAddress`).
const COMMON_IDENTITIES: [(&str, &[&str]); 3] = [
    ("Address", &["StreetNumberName", "City", "StateAbbreviation", "PostalCode", "AddressType"]),
    ("AdministrationPointOfContact", &["EducationOrganizationReference", "ElectronicMailAddress"]),
    ("InternationalAddress", &["AddressType"]),
];

/// References that carry an identical role name (the role is the target's own name, so the XSD
/// element name does not show it): their key members are their own, not unified with the same
/// key carried by another reference, and a reference to the entity names them with the role.
/// `(entity or superclass, reference)`. ApiSchema's reference to a student program association
/// (`EdFi_StudentNeglectedOrDelinquentProgramAssociation_Reference` in MetaEd-js's DS 5.2
/// ApiSchema) carries `educationOrganizationId` and `programEducationOrganizationId`: the
/// program's education organization is not the association's. Every reference to an
/// intervention prescription has one too: the ODS/API's tables for them key it as
/// `InterventionPrescriptionEducationOrganizationId` beside the referrer's own
/// `EducationOrganizationId` (`InterventionInterventionPrescription_PK`,
/// `FK_InterventionStudy_InterventionPrescription`,
/// `EducationOrganizationInterventionPrescriptionAssociation_PK`), and Grand Bend's interventions
/// at a school use their district's prescription. Sibling roles show others ([`identical_roles`]).
const IDENTICAL_ROLE_NAMES: [(&str, &str); 4] = [
    ("EducationOrganizationInterventionPrescriptionAssociation", "InterventionPrescription"),
    ("GeneralStudentProgramAssociation", "Program"),
    ("Intervention", "InterventionPrescription"),
    ("InterventionStudy", "InterventionPrescription"),
];

/// What ApiSchema says of the school-year enumeration (MetaEd hard-codes it; the XSD has the
/// `SchoolYearType` enumeration of `1990-1991` … tokens, the API an integer year 1900–2100).
const SCHOOL_YEAR_MIN: i64 = 1900;
const SCHOOL_YEAR_MAX: i64 = 2100;

pub struct Facts {
    /// Lower-cased endpoint → endpoint (`caseInsensitiveEndpointNameMapping`).
    pub endpoints: BTreeMap<String, String>,
    pub identity_updates: BTreeSet<String>,
    /// `abstractResources`: the XSD marks `EducationOrganization` abstract but not
    /// `GeneralStudentProgramAssociation`, which MetaEd declares an abstract association.
    pub abstract_resources: BTreeSet<String>,
}

impl Facts {
    pub fn from_json(facts: &Value) -> Result<Self> {
        let endpoints = facts["caseInsensitiveEndpointNameMapping"]
            .as_object()
            .ok_or("project facts: no caseInsensitiveEndpointNameMapping")?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let identity_updates = facts["allowIdentityUpdates_true"]
            .as_array()
            .ok_or("project facts: no allowIdentityUpdates_true")?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let abstract_resources = facts["abstractResources"]
            .as_object()
            .ok_or("project facts: no abstractResources")?
            .keys()
            .cloned()
            .collect();
        Ok(Self { endpoints, identity_updates, abstract_resources })
    }
}

enum ElemKind<'a> {
    SchoolYear,
    /// The descriptor's entity name (`GradeLevelDescriptor`).
    Descriptor(String),
    /// The target entity (`School`).
    Reference(String),
    InlineCommon(&'a ComplexType),
    Common(&'a ComplexType),
    Simple(Scalar),
}

/// A key member of an entity, as a reference to that entity carries it.
#[derive(Clone)]
struct Leaf {
    path: Vec<String>,
    ref_name: String,
    kind: Kind,
    origin: Origin,
    hops: usize,
    /// Where the entity's identity element holds it (every side of a unified key).
    xml: Vec<XmlSource>,
}

/// An element and the type that declares it (for prefix removal and key origins).
#[derive(Clone)]
struct Declared<'a> {
    parent: &'a str,
    element: &'a Element,
    /// Whether the entity's XML holds the element (an abstract entity's key is only in its
    /// identity type).
    in_xml: bool,
}

struct Builder<'a> {
    xsd: &'a Schema,
    facts: &'a Facts,
    inline_commons: BTreeSet<&'a str>,
    leaves: RefCell<BTreeMap<String, Vec<Leaf>>>,
}

pub fn build(xsd: &Schema, facts: &Facts, interchanges: &[Interchange]) -> Result<Model> {
    // A common is inline (flattened into its parent) when no entity or common holds it as a
    // collection, unless ApiSchema keeps it as an object.
    let mut collected = BTreeSet::new();
    let mut used = BTreeSet::new();
    for ty in xsd.complex.values().filter(|t| is_data_group(&t.group)) {
        for el in &ty.elements {
            used.insert(el.ty.as_str());
            if el.unbounded {
                collected.insert(el.ty.as_str());
            }
        }
    }
    let inline_commons = xsd
        .complex
        .values()
        .filter(|t| {
            t.group == "Common" && used.contains(t.name.as_str()) && !collected.contains(t.name.as_str())
        })
        .map(|t| t.name.as_str())
        .filter(|n| !SCALAR_COMMONS_KEPT_AS_OBJECTS.contains(n))
        .collect();
    let builder = Builder { xsd, facts, inline_commons, leaves: RefCell::new(BTreeMap::new()) };

    let mut resources = Vec::new();
    let mut abstract_resources = Vec::new();
    let mut descriptors = Vec::new();
    for ty in xsd.complex.values() {
        match ty.group.as_str() {
            "Descriptor" => descriptors.push((builder.endpoint_of(&ty.name)?, ty.name.clone())),
            "Domain Entity" | "Association" => {
                let resource = builder.resource(ty)?;
                if resource.is_abstract {
                    abstract_resources.push(resource);
                } else {
                    resources.push(resource);
                }
            }
            _ => {}
        }
    }
    resources.push(school_year_type());
    resources.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    descriptors.sort();
    let interchange_references = builder.interchange_references(interchanges, &resources, &descriptors)?;
    for resource in &mut resources {
        resource.interchanges = holding_interchanges(interchanges, &resource.entity)?;
    }
    Ok(Model {
        namespace: xsd.namespace.clone(),
        descriptor_members: builder.descriptor_members()?,
        descriptors,
        resources,
        abstract_resources,
        interchange_references,
    })
}

/// The names of the interchanges whose root may hold an element of `entity` itself (not a
/// reference to it), in interchange order: `InterchangeStudentEnrollment` is `StudentEnrollment`.
fn holding_interchanges(interchanges: &[Interchange], entity: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for interchange in interchanges.iter().filter(|i| i.elements.iter().any(|(_, ty)| ty == entity)) {
        let name =
            interchange.name.strip_prefix("Interchange").filter(|n| !n.is_empty()).ok_or_else(|| {
                format!("the interchange root {} is not named Interchange…", interchange.name)
            })?;
        names.push(name.to_string());
    }
    Ok(names)
}

fn is_data_group(group: &str) -> bool {
    matches!(group, "Domain Entity" | "Association" | "Common" | "Descriptor")
}

fn integer(min: i64, max: i64) -> Kind {
    Kind::Scalar(Scalar::Integer { min, max })
}

fn school_year_kind() -> Kind {
    integer(SCHOOL_YEAR_MIN, SCHOOL_YEAR_MAX)
}

fn school_year_type() -> Resource {
    // School years are an enumeration of the XSD, not an interchange element.
    let member = |name: &str, kind: Kind, identity: bool| Member {
        name: name.to_string(),
        kind,
        required: true,
        identity,
        origin: None,
        xml: None,
    };
    Resource {
        endpoint: Some("schoolYearTypes".to_string()),
        entity: "SchoolYearType".to_string(),
        group: "schoolYearEnumeration",
        is_abstract: false,
        superclass: None,
        subclasses: Vec::new(),
        identity: vec!["$.schoolYear".to_string()],
        allow_identity_updates: false,
        members: vec![
            member("currentSchoolYear", Kind::Scalar(Scalar::Boolean), false),
            member("schoolYear", school_year_kind(), true),
            member("schoolYearDescription", Kind::Scalar(Scalar::String { min: None, max: Some(50) }), false),
        ],
        equality: Vec::new(),
        uniqueness: Vec::new(),
        interchanges: Vec::new(),
    }
}

impl<'a> Builder<'a> {
    fn complex(&self, name: &str) -> Result<&'a ComplexType> {
        self.xsd.complex.get(name).ok_or_else(|| format!("the XSD has no complex type {name}"))
    }

    /// The endpoint of an entity: its camelCase plural, spelled as the endpoint map spells it.
    fn endpoint_of(&self, entity: &str) -> Result<String> {
        let guess = uncapitalize(&pluralize(entity));
        self.facts
            .endpoints
            .get(&guess.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| format!("{entity}: no endpoint {guess} in the endpoint map"))
    }

    /// A reference's target: the endpoint, or an abstract resource's entity name.
    fn target_of(&self, entity: &str) -> Result<String> {
        if entity == "SchoolYearType" {
            return Ok("schoolYearTypes".to_string());
        }
        if self.is_abstract(self.complex(entity)?) {
            Ok(entity.to_string())
        } else {
            self.endpoint_of(entity)
        }
    }

    fn is_abstract(&self, ty: &ComplexType) -> bool {
        ty.is_abstract || self.facts.abstract_resources.contains(&ty.name)
    }

    fn classify(&self, el: &Element) -> Result<ElemKind<'a>> {
        if el.ty == "SchoolYearType" {
            return Ok(ElemKind::SchoolYear);
        }
        if let Some(stem) = el.ty.strip_suffix("DescriptorReferenceType") {
            let name = el.descriptor.clone().unwrap_or_else(|| format!("{stem}Descriptor"));
            return Ok(ElemKind::Descriptor(name));
        }
        if let Some(ty) = self.xsd.complex.get(&el.ty) {
            if ty.group == "Extended Reference" {
                let target =
                    el.ty.strip_suffix("ReferenceType").ok_or_else(|| format!("{}: odd reference", el.ty))?;
                return Ok(ElemKind::Reference(target.to_string()));
            }
            if ty.group == "Common" {
                return Ok(if self.inline_commons.contains(ty.name.as_str()) {
                    ElemKind::InlineCommon(ty)
                } else {
                    ElemKind::Common(ty)
                });
            }
            return Err(format!("element {} of type {} ({}) is not handled", el.name, el.ty, ty.group));
        }
        Ok(ElemKind::Simple(self.scalar(&el.ty)?))
    }

    fn scalar(&self, ty: &str) -> Result<Scalar> {
        Ok(match ty {
            "xs:string" | "xs:token" => Scalar::String { min: None, max: None },
            "xs:int" => Scalar::Integer { min: i32::MIN.into(), max: i32::MAX.into() },
            // A MetaEd `year` (`PublicationYear`): the ODS/API stores it as a 16-bit integer.
            "xs:short" | "xs:gYear" => Scalar::Integer { min: i16::MIN.into(), max: i16::MAX.into() },
            "xs:long" | "xs:integer" => Scalar::Integer { min: -MAX_SAFE_INTEGER, max: MAX_SAFE_INTEGER },
            "xs:decimal" => Scalar::Decimal { total: None, fraction: None, min: None, max: None },
            "xs:boolean" => Scalar::Boolean,
            "xs:date" => Scalar::Date,
            "xs:dateTime" => Scalar::DateTime,
            "xs:time" => Scalar::Time,
            "xs:duration" => Scalar::Duration,
            other => {
                let simple =
                    self.xsd.simple.get(other).ok_or_else(|| format!("type {other} is not handled"))?;
                match self.scalar(&simple.base)? {
                    Scalar::String { min, max } => {
                        Scalar::String { min: simple.min_length.or(min), max: simple.max_length.or(max) }
                    }
                    Scalar::Integer { min, max } => {
                        let bound = |v: &Option<String>, default: i64| -> Result<i64> {
                            match v {
                                None => Ok(default),
                                Some(v) => v.parse::<i64>().map_err(|e| format!("{other}: bound {v}: {e}")),
                            }
                        };
                        let (lo, hi) =
                            (bound(&simple.min_inclusive, min)?, bound(&simple.max_inclusive, max)?);
                        if lo < min || hi > max || lo > hi {
                            return Err(format!("{other}: range {lo}..={hi} does not narrow {min}..={max}"));
                        }
                        Scalar::Integer { min: lo, max: hi }
                    }
                    Scalar::Decimal { total, fraction, min, max } => Scalar::Decimal {
                        total: simple.total_digits.or(total),
                        fraction: simple.fraction_digits.or(fraction),
                        min: simple.min_inclusive.clone().or(min),
                        max: simple.max_inclusive.clone().or(max),
                    },
                    plain => plain,
                }
            }
        })
    }

    /// The elements of an entity with those of its superclasses, superclass first.
    fn all_elements(&self, ty: &'a ComplexType) -> Result<Vec<Declared<'a>>> {
        let mut out = Vec::new();
        if let Some(base) = &ty.base {
            if let Some(parent) = self.xsd.complex.get(base) {
                if matches!(parent.group.as_str(), "Domain Entity" | "Association") {
                    out = self.all_elements(parent)?;
                }
            }
        }
        out.extend(ty.elements.iter().map(|element| Declared {
            parent: ty.name.as_str(),
            element,
            in_xml: true,
        }));
        Ok(out)
    }

    fn identity_type(&self, entity: &str) -> Result<&'a ComplexType> {
        self.complex(&format!("{entity}IdentityType"))
    }

    /// The key members of an entity as a reference to it carries them, unified: a member that
    /// two of its references carry from the same origin is carried once, from the reference
    /// nearest its origin (a course offering reference's `schoolId` fills its
    /// `schoolReference.schoolId`, which equals its `sessionReference.schoolId`).
    fn identity_leaves(&self, entity: &str) -> Result<Vec<Leaf>> {
        let mut kept: Vec<Leaf> = Vec::new();
        for leaf in self.all_identity_leaves(entity)? {
            match kept.iter_mut().find(|k| k.origin == leaf.origin) {
                Some(existing) if existing.hops > leaf.hops => {
                    let twin = std::mem::replace(existing, leaf);
                    existing.xml.extend(twin.xml);
                }
                Some(existing) => existing.xml.extend(leaf.xml),
                None => kept.push(leaf),
            }
        }
        Ok(kept)
    }

    /// Every key member of an entity, each unified pair on both sides: ApiSchema's
    /// `identityJsonPaths` (a grade's identity has `$.gradingPeriodReference.schoolId` and
    /// `$.studentSectionAssociationReference.schoolId`, which must be equal).
    fn all_identity_leaves(&self, entity: &str) -> Result<Vec<Leaf>> {
        if let Some(leaves) = self.leaves.borrow().get(entity) {
            return Ok(leaves.clone());
        }
        let mut leaves: Vec<Leaf> = Vec::new();
        let identical = identical_roles(&self.all_elements(self.complex(entity)?)?, self)?;
        let elements = &self.identity_type(entity)?.elements;
        self.collect_identity_leaves(entity, elements, "", &identical, &mut leaves)?;
        self.leaves.borrow_mut().insert(entity.to_string(), leaves.clone());
        Ok(leaves)
    }

    fn collect_identity_leaves(
        &self,
        entity: &str,
        elements: &[Element],
        prefix: &str,
        identical: &BTreeSet<String>,
        out: &mut Vec<Leaf>,
    ) -> Result<()> {
        for el in elements {
            let full = prefix_collapsed(prefix, &el.name);
            let origin =
                |roles: Vec<String>| Origin { entity: entity.to_string(), element: el.name.clone(), roles };
            let roles = if prefix.is_empty() { vec![] } else { vec![prefix.to_string()] };
            match self.classify(el)? {
                ElemKind::SchoolYear => {
                    let role = full.strip_suffix("SchoolYear").unwrap_or(&full).to_string();
                    out.push(Leaf {
                        path: vec![
                            uncapitalize(&format!("{role}SchoolYearTypeReference")),
                            "schoolYear".into(),
                        ],
                        ref_name: uncapitalize(&full),
                        kind: school_year_kind(),
                        origin: Origin {
                            entity: "SchoolYearType".into(),
                            element: "SchoolYear".into(),
                            roles: if role.is_empty() { vec![] } else { vec![role] },
                        },
                        hops: 1,
                        xml: vec![XmlSource { elements: vec![el.name.clone()], school_year: true }],
                    })
                }
                ElemKind::Descriptor(d) => {
                    let name = descriptor_name(&full);
                    out.push(Leaf {
                        path: vec![name.clone()],
                        ref_name: name,
                        kind: Kind::Descriptor(self.endpoint_of(&d)?),
                        origin: origin(roles),
                        hops: 0,
                        xml: vec![XmlSource { elements: vec![el.name.clone()], school_year: false }],
                    })
                }
                ElemKind::Simple(scalar) => out.push(Leaf {
                    path: vec![uncapitalize(&full)],
                    ref_name: uncapitalize(&full),
                    kind: Kind::Scalar(scalar),
                    origin: origin(roles),
                    hops: 0,
                    xml: vec![XmlSource { elements: vec![el.name.clone()], school_year: false }],
                }),
                ElemKind::Reference(target) => {
                    let name = full.strip_suffix("Reference").unwrap_or(&full);
                    let role = if identical.contains(name) { name } else { role_of(name, &target) };
                    let identity_element = self.identity_element(&target)?;
                    for leaf in self.identity_leaves(&target)? {
                        let ref_name = if role.is_empty() {
                            leaf.ref_name.clone()
                        } else {
                            uncapitalize(&prefix_collapsed(role, &capitalize(&leaf.ref_name)))
                        };
                        let mut roles = leaf.origin.roles.clone();
                        if !role.is_empty() {
                            roles.insert(0, role.to_string());
                        }
                        out.push(Leaf {
                            path: vec![format!("{}Reference", uncapitalize(name)), leaf.ref_name.clone()],
                            ref_name,
                            kind: leaf.kind.clone(),
                            origin: Origin { roles, ..leaf.origin.clone() },
                            hops: leaf.hops + 1,
                            xml: within(&[&el.name, &identity_element], &leaf.xml),
                        });
                    }
                }
                ElemKind::InlineCommon(common) => {
                    let role = role_of(&el.name, &common.name);
                    let prefix = prefix_collapsed(prefix, role);
                    let first = out.len();
                    self.collect_identity_leaves(entity, &common.elements, &prefix, identical, out)?;
                    for leaf in &mut out[first..] {
                        leaf.xml = within(&[&el.name], &leaf.xml);
                    }
                }
                ElemKind::Common(_) => return Err(format!("{entity}: a common {} in an identity", el.name)),
            }
        }
        Ok(())
    }

    /// The element of `{target}ReferenceType` that holds the identity (`SectionIdentity`).
    fn identity_element(&self, target: &str) -> Result<String> {
        let identity_type = format!("{target}IdentityType");
        self.complex(&format!("{target}ReferenceType"))?
            .elements
            .iter()
            .find(|e| e.ty == identity_type)
            .map(|e| e.name.clone())
            .ok_or_else(|| format!("{target}ReferenceType has no element of {identity_type}"))
    }

    fn reference_kind(&self, target: &str) -> Result<Kind> {
        let identity_element = self.identity_element(target)?;
        let members = self
            .identity_leaves(target)?
            .into_iter()
            .map(|leaf| RefMember {
                name: leaf.ref_name,
                target_path: format!("$.{}", leaf.path.join(".")),
                kind: leaf.kind,
                origin: leaf.origin,
                hops: leaf.hops,
                xml: within(&[&identity_element], &leaf.xml),
            })
            .collect();
        Ok(Kind::Reference { target: self.target_of(target)?, members })
    }

    fn resource(&self, ty: &'a ComplexType) -> Result<Resource> {
        let mut elements = self.all_elements(ty)?;
        // An abstract entity's own key (`EducationOrganizationId`) is only in its identity type.
        for element in &self.identity_type(&ty.name)?.elements {
            if !elements.iter().any(|d| d.element.name == element.name) {
                elements.push(Declared { parent: ty.name.as_str(), element, in_xml: false });
            }
        }
        let identity_names: BTreeSet<&str> =
            self.identity_type(&ty.name)?.elements.iter().map(|e| e.name.as_str()).collect();
        // Subclass and superclass members whose shortened names collide keep their full names
        // (MetaEd's `SubclassPropertyNamingCollisionEnhancer`: School's `SchoolCategory` and
        // EducationOrganization's `EducationOrganizationCategory` would both be `categories`).
        let mut keep_full = BTreeSet::new();
        let first = self.members_of(&elements, &identity_names, &BTreeSet::new())?;
        let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (declared, members) in elements.iter().zip(&first) {
            for m in members {
                by_name.entry(m.name.as_str()).or_default().insert(declared.parent);
            }
        }
        for (declared, members) in elements.iter().zip(&first) {
            if members.iter().any(|m| by_name[m.name.as_str()].len() > 1) {
                keep_full.insert(declared.element.name.clone());
            }
        }
        let members_nested = if keep_full.is_empty() {
            first
        } else {
            self.members_of(&elements, &identity_names, &keep_full)?
        };
        let mut members: Vec<Member> = members_nested.into_iter().flatten().collect();
        sort_members(&mut members);

        let mut identity: Vec<String> =
            self.all_identity_leaves(&ty.name)?.iter().map(|l| format!("$.{}", l.path.join("."))).collect();
        identity.sort();

        let superclass = match ty.base.as_deref().and_then(|b| self.xsd.complex.get(b)) {
            Some(parent) if matches!(parent.group.as_str(), "Domain Entity" | "Association") => {
                let own: Vec<String> = self
                    .identity_leaves(&ty.name)?
                    .iter()
                    .map(|l| format!("$.{}", l.path.join(".")))
                    .collect();
                let inherited: Vec<String> = self
                    .identity_leaves(&parent.name)?
                    .iter()
                    .map(|l| format!("$.{}", l.path.join(".")))
                    .collect();
                let only_own: Vec<&String> = own.iter().filter(|p| !inherited.contains(p)).collect();
                let only_inherited: Vec<&String> = inherited.iter().filter(|p| !own.contains(p)).collect();
                let identity_path = match (only_own.as_slice(), only_inherited.as_slice()) {
                    ([], []) => None,
                    ([_], [theirs]) => Some((*theirs).clone()),
                    _ => return Err(format!("{}: identity {own:?} against {inherited:?}", ty.name)),
                };
                Some(Superclass { resource: parent.name.clone(), identity_path })
            }
            _ => None,
        };
        let subclasses = self
            .xsd
            .complex
            .values()
            .filter(|t| t.base.as_deref() == Some(ty.name.as_str()))
            .map(|t| t.name.clone())
            .collect();
        let is_abstract = self.is_abstract(ty);
        let endpoint = if is_abstract { None } else { Some(self.endpoint_of(&ty.name)?) };
        let allow_identity_updates =
            endpoint.as_ref().is_some_and(|e| self.facts.identity_updates.contains(e));
        let identical_roles = identical_roles(&elements, self)?;
        let equality = unify(&members, &identical_roles);
        let uniqueness = self.uniqueness(&elements, &members)?;
        Ok(Resource {
            endpoint,
            entity: ty.name.clone(),
            group: if ty.group == "Association" { "association" } else { "domainEntity" },
            is_abstract,
            superclass,
            subclasses,
            identity,
            allow_identity_updates,
            members,
            equality,
            uniqueness,
            interchanges: Vec::new(),
        })
    }

    /// The JSON members each element becomes (an inline common becomes several).
    fn members_of(
        &self,
        elements: &[Declared<'a>],
        identity: &BTreeSet<&str>,
        keep_full: &BTreeSet<String>,
    ) -> Result<Vec<Vec<Member>>> {
        elements
            .iter()
            .map(|d| {
                let is_identity = identity.contains(d.element.name.as_str());
                let remove_prefix = !keep_full.contains(&d.element.name);
                let mut members =
                    self.element_members(d.parent, d.element, "", false, is_identity, remove_prefix)?;
                if !d.in_xml {
                    members.iter_mut().for_each(|m| m.xml = None);
                }
                Ok(members)
            })
            .collect()
    }

    /// The members of one element. `prefix` is the role of an enclosing inline common;
    /// `optional_parent` says that common is optional, which makes everything in it optional
    /// (MetaEd's `optionalDueToParent`).
    fn element_members(
        &self,
        parent: &str,
        el: &Element,
        prefix: &str,
        optional_parent: bool,
        identity: bool,
        remove_prefix: bool,
    ) -> Result<Vec<Member>> {
        let full = prefix_collapsed(prefix, &el.name);
        let required = el.required() && !optional_parent;
        let min_items = if required { el.min_occurs.max(1) } else { 0 };
        let collection_name = |name: &str, role: &str| {
            let shortened =
                if remove_prefix { drop_parent_prefix(parent, name, role) } else { name.to_string() };
            uncapitalize(&pluralize(&shortened))
        };
        let own_element = Some(vec![el.name.clone()]);
        let collection = |name: String, items: Vec<Member>| Member {
            name,
            kind: Kind::Collection { min_items, items },
            required,
            identity,
            origin: None,
            xml: own_element.clone(),
        };
        let single = |name: String, kind: Kind, origin: Option<Origin>| Member {
            name,
            kind,
            required,
            identity,
            origin,
            xml: own_element.clone(),
        };
        // An item of a collection of values or references is the repeated element itself.
        let the_element_itself = Some(Vec::new());
        let roles = if prefix.is_empty() { vec![] } else { vec![prefix.to_string()] };
        let origin = Origin { entity: parent.to_string(), element: el.name.clone(), roles };
        Ok(match self.classify(el)? {
            ElemKind::SchoolYear => {
                if el.unbounded {
                    return Err(format!("{parent}.{}: a collection of school years", el.name));
                }
                let role = full.strip_suffix("SchoolYear").unwrap_or(&full);
                let members = vec![RefMember {
                    name: "schoolYear".into(),
                    target_path: "$.schoolYear".into(),
                    kind: school_year_kind(),
                    origin: Origin {
                        entity: "SchoolYearType".into(),
                        element: "SchoolYear".into(),
                        roles: vec![],
                    },
                    hops: 0,
                    xml: vec![XmlSource { elements: Vec::new(), school_year: true }],
                }];
                let kind = Kind::Reference { target: "schoolYearTypes".into(), members };
                let roles = if role.is_empty() { vec![] } else { vec![role.to_string()] };
                vec![single(
                    uncapitalize(&format!("{role}SchoolYearTypeReference")),
                    kind,
                    Some(Origin { roles, ..origin }),
                )]
            }
            ElemKind::Descriptor(d) => {
                let kind = Kind::Descriptor(self.endpoint_of(&d)?);
                if el.unbounded {
                    let meta_name = d.strip_suffix("Descriptor").unwrap_or(&d);
                    let role = role_of(&full, meta_name);
                    let item = Member {
                        name: descriptor_name(meta_name),
                        kind,
                        required: true,
                        identity: false,
                        origin: None,
                        xml: the_element_itself,
                    };
                    vec![collection(collection_name(&full, role), vec![item])]
                } else {
                    vec![single(descriptor_name(&full), kind, None)]
                }
            }
            ElemKind::Reference(target) => {
                let name = full.strip_suffix("Reference").unwrap_or(&full).to_string();
                let role = role_of(&name, &target).to_string();
                let kind = self.reference_kind(&target)?;
                let reference_name = format!("{}Reference", uncapitalize(&name));
                // The origin of a reference records its element name and role (see `unify`).
                let origin =
                    Some(Origin { entity: target.clone(), element: name.clone(), roles: vec![role] });
                if el.unbounded {
                    let item = Member {
                        name: reference_name,
                        kind,
                        required: true,
                        identity: false,
                        origin,
                        xml: the_element_itself,
                    };
                    vec![collection(uncapitalize(&pluralize(&name)), vec![item])]
                } else {
                    vec![single(reference_name, kind, origin)]
                }
            }
            ElemKind::InlineCommon(common) => {
                let role = role_of(&el.name, &common.name);
                let inner_prefix = prefix_collapsed(prefix, role);
                let mut out = Vec::new();
                for inner in &common.elements {
                    out.extend(self.element_members(
                        &common.name,
                        inner,
                        &inner_prefix,
                        optional_parent || !el.required(),
                        identity,
                        true,
                    )?);
                }
                // The common's element wraps its members; JSON has no object for it.
                for member in &mut out {
                    if let Some(path) = &mut member.xml {
                        path.insert(0, el.name.clone());
                    }
                }
                out
            }
            ElemKind::Common(common) => {
                let role = role_of(&full, &common.name);
                let mut inner = Vec::new();
                let key = common_identity(common);
                for e in &common.elements {
                    let in_key = key.contains(&e.name.as_str());
                    inner.extend(self.element_members(&common.name, e, "", optional_parent, in_key, true)?);
                }
                sort_members(&mut inner);
                if el.unbounded {
                    vec![collection(collection_name(&full, role), inner)]
                } else {
                    let shortened =
                        if remove_prefix { drop_parent_prefix(parent, &full, role) } else { full.clone() };
                    vec![single(uncapitalize(&shortened), Kind::Object(inner), None)]
                }
            }
            ElemKind::Simple(scalar) => {
                if el.unbounded {
                    let item = Member {
                        name: uncapitalize(&full),
                        kind: Kind::Scalar(scalar),
                        required: true,
                        identity: true,
                        origin: None,
                        xml: the_element_itself,
                    };
                    vec![collection(collection_name(&full, ""), vec![item])]
                } else {
                    vec![single(uncapitalize(&full), Kind::Scalar(scalar), None)]
                }
            }
        })
    }

    /// Array uniqueness: no two items of a collection agree on all of their key members
    /// (descriptor and scalar collections: their one member; common collections: the common's
    /// identity). Reference collections have none in ApiSchema.
    fn uniqueness(&self, _elements: &[Declared<'a>], members: &[Member]) -> Result<Vec<Uniqueness>> {
        let mut out = Vec::new();
        collect_uniqueness(members, "$.", None, &mut out);
        out.sort();
        Ok(out)
    }

    /// The top-level `…Reference` elements of the interchanges, each once; every other element
    /// an interchange holds must be a resource or descriptor of the same name.
    fn interchange_references(
        &self,
        interchanges: &[Interchange],
        resources: &[Resource],
        descriptors: &[(String, String)],
    ) -> Result<Vec<InterchangeReference>> {
        let mut out: BTreeMap<&str, InterchangeReference> = BTreeMap::new();
        for interchange in interchanges {
            for (element, ty) in &interchange.elements {
                let at = |problem: &str| format!("{}: <{element}> {problem}", interchange.name);
                let Some(target) = ty.strip_suffix("ReferenceType") else {
                    // `<EducationOrganization>` in InterchangeStudentHealth: an abstract type,
                    // which a document can hold only as a subclass's element, mapped as that.
                    if self.xsd.complex.get(ty).is_some_and(|t| self.is_abstract(t)) {
                        continue;
                    }
                    let known = resources.iter().any(|r| r.entity == *ty && r.endpoint.is_some())
                        || descriptors.iter().any(|(_, entity)| entity == ty);
                    if element != ty || !known {
                        return Err(at(&format!("of type {ty} is not a resource of the same name")));
                    }
                    continue;
                };
                if out.contains_key(element.as_str()) {
                    continue;
                }
                if self.is_abstract(self.complex(target)?) {
                    return Err(at("names an abstract entity, which has no endpoint"));
                }
                let identity_element = self.identity_element(target)?;
                let mut members = Vec::new();
                for el in &self.identity_type(target)?.elements {
                    members.extend(self.element_members(target, el, "", false, true, true)?);
                }
                for member in &mut members {
                    if let Some(path) = &mut member.xml {
                        path.insert(0, identity_element.clone());
                    }
                }
                sort_members(&mut members);
                let endpoint = self.endpoint_of(target)?;
                let resource = resources.iter().find(|r| r.endpoint.as_deref() == Some(endpoint.as_str()));
                let names: BTreeSet<&str> =
                    resource.into_iter().flat_map(|r| &r.members).map(|m| m.name.as_str()).collect();
                if let Some(stray) = members.iter().find(|m| !names.contains(m.name.as_str())) {
                    return Err(at(&format!("holds {}, which {endpoint} has not", stray.name)));
                }
                out.insert(element, InterchangeReference { element: element.clone(), endpoint, members });
            }
        }
        Ok(out.into_values().collect())
    }

    fn descriptor_members(&self) -> Result<Vec<Member>> {
        let descriptor = self.complex("DescriptorType")?;
        let mut members = Vec::new();
        for el in descriptor.elements.iter().filter(|e| e.name != "PriorDescriptor") {
            let ElemKind::Simple(scalar) = self.classify(el)? else {
                return Err(format!("DescriptorType.{} is not a simple value", el.name));
            };
            let identity = matches!(el.name.as_str(), "Namespace" | "CodeValue");
            // ApiSchema's one descriptor schema (MetaEd writes it, not from the XSD) takes any
            // non-empty required string: `namespace` from 1 character, not the XSD's 5 of `URI`.
            let scalar = match scalar {
                Scalar::String { max, .. } if el.required() => Scalar::String { min: Some(1), max },
                other => other,
            };
            members.push(Member {
                name: uncapitalize(&el.name),
                kind: Kind::Scalar(scalar),
                required: el.required(),
                identity,
                origin: None,
                xml: Some(vec![el.name.clone()]),
            });
        }
        sort_members(&mut members);
        Ok(members)
    }
}

/// `sources` inside the elements `outer` (outermost first).
fn within(outer: &[&String], sources: &[XmlSource]) -> Vec<XmlSource> {
    sources
        .iter()
        .map(|source| XmlSource {
            elements: outer.iter().map(|e| e.to_string()).chain(source.elements.iter().cloned()).collect(),
            school_year: source.school_year,
        })
        .collect()
}

/// The role name of an element naming `entity`: `NextYearSchool` → `NextYear`, `School` → ``.
fn role_of<'s>(name: &'s str, entity: &str) -> &'s str {
    name.strip_suffix(entity).unwrap_or_default()
}

/// The identity members of a common (what no two items of a collection may share): Ed-Fi keys
/// a common that references an item by that reference (a student's result by its assessment
/// item, a displaced student by the crisis event: `StudentAssessmentItem_PK` and
/// `StudentEducationOrganizationAssociationDisplacedStudent_PK` of the ODS/API), most others by
/// their required descriptors (an identification code by its system, a telephone by its type,
/// an other name by its type), a common with neither by its required members (a period by its
/// begin date); [`COMMON_IDENTITIES`] where ApiSchema or the ODS/API say otherwise.
fn common_identity(common: &ComplexType) -> Vec<&str> {
    if let Some((_, members)) = COMMON_IDENTITIES.iter().find(|(name, _)| *name == common.name) {
        return members.to_vec();
    }
    let required: Vec<&Element> = common.elements.iter().filter(|e| e.required() && !e.unbounded).collect();
    let named = |suffix: &str| -> Vec<&str> {
        required.iter().filter(|e| e.ty.ends_with(suffix)).map(|e| e.name.as_str()).collect()
    };
    let descriptors = named("DescriptorReferenceType");
    let references: Vec<&str> =
        named("ReferenceType").into_iter().filter(|name| !descriptors.contains(name)).collect();
    if !references.is_empty() {
        references
    } else if !descriptors.is_empty() {
        descriptors
    } else {
        required.iter().map(|e| e.name.as_str()).collect()
    }
}

/// Sorts members by name, each once: an element an entity declares and also inherits through its
/// identity (an attendance event's `EventDate`) is one member, part of the identity.
fn sort_members(members: &mut Vec<Member>) {
    members.sort_by(|a, b| a.name.cmp(&b.name).then(b.identity.cmp(&a.identity)));
    members.dedup_by(|later, kept| {
        let same = later.name == kept.name;
        if same {
            kept.required |= later.required;
            // The element the entity's XML holds, not the identity type's copy of it.
            if kept.xml.is_none() {
                kept.xml = later.xml.take();
            }
        }
        same
    });
}

/// The references of an entity that carry an identical role name: `LocationReference` on a
/// section that also has `LocationSchoolReference` (role `Location` on a school). The XSD does
/// not write a role name equal to the entity's name, but a sibling role naming the entity
/// shows it; the ODS/API then names the reference's columns `Location…`, so its `schoolId` is
/// the `LocationSchoolId` of the role-named reference, not the section's `SchoolId`.
fn identical_roles(elements: &[Declared], builder: &Builder) -> Result<BTreeSet<String>> {
    let mut references = BTreeMap::new();
    for d in elements {
        if let ElemKind::Reference(target) = builder.classify(d.element)? {
            let name = d.element.name.strip_suffix("Reference").unwrap_or(&d.element.name).to_string();
            references.insert(name, target);
        }
    }
    let mut out = BTreeSet::new();
    for d in elements {
        let name = d.element.name.strip_suffix("Reference").unwrap_or(&d.element.name);
        if IDENTICAL_ROLE_NAMES.iter().any(|(entity, reference)| *entity == d.parent && *reference == name) {
            out.insert(name.to_string());
        }
    }
    for (name, target) in &references {
        let role = role_of(name, target);
        if !role.is_empty() && references.get(role).is_some_and(|t| t == role) {
            out.insert(role.to_string());
        }
    }
    Ok(out)
}

struct KeyLeaf {
    path: String,
    origin: Origin,
    identity: bool,
    depth: usize,
    hops: usize,
}

fn collect_key_leaves(
    members: &[Member],
    prefix: &str,
    depth: usize,
    identical: &BTreeSet<String>,
    out: &mut Vec<KeyLeaf>,
) {
    for m in members {
        let path = format!("{prefix}{}", m.name);
        match &m.kind {
            Kind::Scalar(_) | Kind::Descriptor(_) => {
                if let Some(origin) = &m.origin {
                    out.push(KeyLeaf { path, origin: origin.clone(), identity: m.identity, depth, hops: 0 });
                }
            }
            Kind::Reference { members: carried, .. } => {
                let (element, role) = match &m.origin {
                    Some(o) => (o.element.clone(), o.roles.first().cloned().unwrap_or_default()),
                    None => (String::new(), String::new()),
                };
                let role = if role.is_empty() && identical.contains(&element) { element } else { role };
                for r in carried {
                    let mut roles = r.origin.roles.clone();
                    if !role.is_empty() {
                        roles.insert(0, role.clone());
                    }
                    out.push(KeyLeaf {
                        path: format!("{path}.{}", r.name),
                        origin: Origin { roles, ..r.origin.clone() },
                        identity: m.identity,
                        depth,
                        hops: r.hops + 1,
                    });
                }
            }
            Kind::Object(inner) => collect_key_leaves(inner, &format!("{path}."), depth, identical, out),
            Kind::Collection { items, .. } => {
                collect_key_leaves(items, &format!("{path}[*]."), depth + 1, identical, out)
            }
        }
    }
}

/// Key unification: members anywhere in the document that carry the same key member from the
/// same origin (the same entity's key, through the same role names) must be equal. The one
/// kept as the target is an identity member if any, else the one outside collections, else
/// the one nearest its origin.
fn unify(members: &[Member], identical: &BTreeSet<String>) -> Vec<Equality> {
    let mut leaves = Vec::new();
    collect_key_leaves(members, "$.", 0, identical, &mut leaves);
    let mut groups: BTreeMap<&Origin, Vec<&KeyLeaf>> = BTreeMap::new();
    for leaf in &leaves {
        groups.entry(&leaf.origin).or_default().push(leaf);
    }
    let mut out = Vec::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        let target = group
            .iter()
            .min_by_key(|l| (!l.identity, l.depth, l.hops, l.path.clone()))
            .expect("a group has members");
        for leaf in group.iter().filter(|l| l.path != target.path) {
            out.push(Equality { source: leaf.path.clone(), target: target.path.clone() });
        }
    }
    out.sort();
    out
}

fn key_paths(items: &[Member], prefix: &str, out: &mut Vec<String>) {
    for m in items.iter().filter(|m| m.identity) {
        match &m.kind {
            Kind::Scalar(_) | Kind::Descriptor(_) => out.push(format!("{prefix}{}", m.name)),
            Kind::Reference { members, .. } => {
                out.extend(members.iter().map(|r| format!("{prefix}{}.{}", m.name, r.name)))
            }
            Kind::Object(inner) => key_paths(inner, &format!("{prefix}{}.", m.name), out),
            Kind::Collection { .. } => {}
        }
    }
}

fn collect_uniqueness(members: &[Member], prefix: &str, base_path: Option<&str>, out: &mut Vec<Uniqueness>) {
    for m in members {
        match &m.kind {
            Kind::Collection { items, .. } => {
                let is_reference_collection =
                    items.len() == 1 && matches!(items[0].kind, Kind::Reference { .. });
                if is_reference_collection {
                    continue;
                }
                let item_prefix = format!("{prefix}{}[*].", m.name);
                let mut paths = Vec::new();
                if items.len() == 1 && !matches!(items[0].kind, Kind::Object(_) | Kind::Collection { .. }) {
                    paths.push(format!("{item_prefix}{}", items[0].name));
                } else {
                    key_paths(items, &item_prefix, &mut paths);
                }
                paths.sort();
                let mut nested = Vec::new();
                let base = format!("{prefix}{}[*]", m.name);
                collect_uniqueness(items, "$.", Some(&base), &mut nested);
                nested.sort();
                if !paths.is_empty() || !nested.is_empty() {
                    out.push(Uniqueness { base_path: base_path.map(str::to_string), paths, nested });
                }
            }
            Kind::Object(inner) => collect_uniqueness(inner, &format!("{prefix}{}.", m.name), base_path, out),
            _ => {}
        }
    }
}
