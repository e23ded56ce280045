//! The resources this API serves, as definitions. Facts (names, lengths, ranges, required members)
//! come from the Ed-Fi Data Standard 5.2 XSD (`shared/edfi/Ed-Fi-Core-5.2.xsd`).

use crate::model::{
    EqualityConstraint, Field, IntegerRange, Kind, Reference, ReferenceMember, ResourceDef,
    UniquenessConstraint,
};

const fn text(max: usize) -> Kind {
    Kind::Text { min: 1, max }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field::required(name, kind)
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field::optional(name, kind)
}

// ---------------------------------------------------------------- identifiers shared by references

// Integer kinds, one per XSD type. Each takes its type's range and facets, within the integers
// canonical JSON stores exactly (`IntegerRange`); the XSD lines are of `Ed-Fi-Core-5.2.xsd`.

/// `SchoolId` and `EducationOrganizationId` are `xs:long` with no facet (lines 3858, 11443).
const EDUCATION_ORGANIZATION_ID: Kind = Kind::Integer(IntegerRange::LONG);
/// `SchoolYearType` is an enumeration of `1990-1991` … `2049-2050` tokens (line 21666); the API
/// carries the school year's ending year as an integer, which Ed-Fi's ApiSchema bounds to
/// 1900–2100 (`apischema/ds-5.2-resources/schools.json`, `schoolYear`).
const SCHOOL_YEAR: Kind = Kind::Integer(IntegerRange::SHORT.between(1900, 2100));
/// `NumberOfParts`: `xs:int`, `minInclusive` 1, `maxInclusive` 8 (line 23783).
const NUMBER_OF_PARTS: Kind = Kind::Integer(IntegerRange::INT.between(1, 8));
/// `SequenceOfCourse`: `xs:int`, `minInclusive` 1, `maxInclusive` 8 (line 23905).
const SEQUENCE_OF_COURSE: Kind = Kind::Integer(IntegerRange::INT.between(1, 8));
/// `TotalInstructionalDays`: `xs:int`, `minInclusive` 0 (line 23926).
const TOTAL_INSTRUCTIONAL_DAYS: Kind = Kind::Integer(IntegerRange::INT.at_least(0));
/// `Duration` (clock minutes): `xs:int`, `minInclusive` 1 (line 23591).
const DURATION: Kind = Kind::Integer(IntegerRange::INT.at_least(1));

const SCHOOL_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "schools",
    members: &[ReferenceMember::new("schoolId", "schoolId", EDUCATION_ORGANIZATION_ID)],
});
const EDUCATION_ORGANIZATION_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "schools",
    members: &[ReferenceMember::new("educationOrganizationId", "schoolId", EDUCATION_ORGANIZATION_ID)],
});
const SCHOOL_YEAR_TYPE_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "schoolYearTypes",
    members: &[ReferenceMember::new("schoolYear", "schoolYear", SCHOOL_YEAR)],
});
const STUDENT_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "students",
    members: &[ReferenceMember::new("studentUniqueId", "studentUniqueId", text(32))],
});
const SESSION_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "sessions",
    members: &[
        ReferenceMember::new("schoolId", "schoolReference.schoolId", EDUCATION_ORGANIZATION_ID),
        ReferenceMember::new("schoolYear", "schoolYearTypeReference.schoolYear", SCHOOL_YEAR),
        ReferenceMember::new("sessionName", "sessionName", text(60)),
    ],
});
const COURSE_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "courses",
    members: &[
        ReferenceMember::new("courseCode", "courseCode", text(60)),
        ReferenceMember::new(
            "educationOrganizationId",
            "educationOrganizationReference.educationOrganizationId",
            EDUCATION_ORGANIZATION_ID,
        ),
    ],
});
const COURSE_OFFERING_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "courseOfferings",
    members: &[
        ReferenceMember::new("localCourseCode", "localCourseCode", text(60)),
        ReferenceMember::new("schoolId", "schoolReference.schoolId", EDUCATION_ORGANIZATION_ID),
        ReferenceMember::new("schoolYear", "sessionReference.schoolYear", SCHOOL_YEAR),
        ReferenceMember::new("sessionName", "sessionReference.sessionName", text(60)),
    ],
});
const CLASS_PERIOD_REFERENCE: Kind = Kind::Reference(&Reference {
    target: "classPeriods",
    members: &[
        ReferenceMember::new("classPeriodName", "classPeriodName", text(60)),
        ReferenceMember::new("schoolId", "schoolReference.schoolId", EDUCATION_ORGANIZATION_ID),
    ],
});

// ---------------------------------------------------------------------------------- descriptors

const DESCRIPTOR_FIELDS: &[Field] = &[
    req("namespace", text(255)),
    req("codeValue", text(50)),
    req("shortDescription", text(75)),
    opt("description", text(1024)),
    opt("effectiveBeginDate", Kind::Date),
    opt("effectiveEndDate", Kind::Date),
];

const fn descriptor(name: &'static str) -> ResourceDef {
    ResourceDef {
        name,
        fields: DESCRIPTOR_FIELDS,
        natural_key: &["namespace", "codeValue"],
        key_change_allowed: false,
        is_descriptor: true,
        equality_constraints: &[],
        uniqueness_constraints: &[],
    }
}

pub const GRADE_LEVEL_DESCRIPTORS: ResourceDef = descriptor("gradeLevelDescriptors");
pub const EDUCATION_ORGANIZATION_CATEGORY_DESCRIPTORS: ResourceDef =
    descriptor("educationOrganizationCategoryDescriptors");
pub const TERM_DESCRIPTORS: ResourceDef = descriptor("termDescriptors");
pub const COURSE_IDENTIFICATION_SYSTEM_DESCRIPTORS: ResourceDef =
    descriptor("courseIdentificationSystemDescriptors");
pub const SCHOOL_TYPE_DESCRIPTORS: ResourceDef = descriptor("schoolTypeDescriptors");
pub const ACADEMIC_SUBJECT_DESCRIPTORS: ResourceDef = descriptor("academicSubjectDescriptors");
pub const SEX_DESCRIPTORS: ResourceDef = descriptor("sexDescriptors");
pub const STATE_ABBREVIATION_DESCRIPTORS: ResourceDef = descriptor("stateAbbreviationDescriptors");
pub const COUNTRY_DESCRIPTORS: ResourceDef = descriptor("countryDescriptors");
pub const CITIZENSHIP_STATUS_DESCRIPTORS: ResourceDef = descriptor("citizenshipStatusDescriptors");
pub const OTHER_NAME_TYPE_DESCRIPTORS: ResourceDef = descriptor("otherNameTypeDescriptors");
pub const IDENTIFICATION_DOCUMENT_USE_DESCRIPTORS: ResourceDef =
    descriptor("identificationDocumentUseDescriptors");
pub const PERSONAL_INFORMATION_VERIFICATION_DESCRIPTORS: ResourceDef =
    descriptor("personalInformationVerificationDescriptors");
pub const VISA_DESCRIPTORS: ResourceDef = descriptor("visaDescriptors");
pub const SOURCE_SYSTEM_DESCRIPTORS: ResourceDef = descriptor("sourceSystemDescriptors");
pub const ENTRY_TYPE_DESCRIPTORS: ResourceDef = descriptor("entryTypeDescriptors");
pub const EXIT_WITHDRAW_TYPE_DESCRIPTORS: ResourceDef = descriptor("exitWithdrawTypeDescriptors");

// ------------------------------------------------------------------------------------ resources

pub const SCHOOL_YEAR_TYPES: ResourceDef = ResourceDef {
    name: "schoolYearTypes",
    fields: &[
        req("schoolYear", SCHOOL_YEAR),
        req("schoolYearDescription", text(50)),
        req("currentSchoolYear", Kind::Boolean),
    ],
    natural_key: &["schoolYear"],
    key_change_allowed: false,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[],
};

pub const SCHOOLS: ResourceDef = ResourceDef {
    name: "schools",
    fields: &[
        req("schoolId", EDUCATION_ORGANIZATION_ID),
        req("nameOfInstitution", text(75)),
        opt("shortNameOfInstitution", text(75)),
        opt("webSite", text(255)),
        req(
            "educationOrganizationCategories",
            Kind::Collection {
                item: &[req(
                    "educationOrganizationCategoryDescriptor",
                    Kind::Descriptor("educationOrganizationCategoryDescriptors"),
                )],
                min_items: 1,
            },
        ),
        req(
            "gradeLevels",
            Kind::Collection {
                item: &[req("gradeLevelDescriptor", Kind::Descriptor("gradeLevelDescriptors"))],
                min_items: 1,
            },
        ),
        opt("schoolTypeDescriptor", Kind::Descriptor("schoolTypeDescriptors")),
    ],
    natural_key: &["schoolId"],
    key_change_allowed: false,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[
        UniquenessConstraint {
            paths: &["$.educationOrganizationCategories[*].educationOrganizationCategoryDescriptor"],
        },
        UniquenessConstraint { paths: &["$.gradeLevels[*].gradeLevelDescriptor"] },
    ],
};

const IDENTIFICATION_DOCUMENT: &[Field] = &[
    req("identificationDocumentUseDescriptor", Kind::Descriptor("identificationDocumentUseDescriptors")),
    req(
        "personalInformationVerificationDescriptor",
        Kind::Descriptor("personalInformationVerificationDescriptors"),
    ),
    opt("issuerCountryDescriptor", Kind::Descriptor("countryDescriptors")),
    opt("documentExpirationDate", Kind::Date),
    opt("documentTitle", text(60)),
    opt("issuerDocumentIdentificationCode", text(60)),
    opt("issuerName", text(150)),
];

const OTHER_NAME: &[Field] = &[
    req("otherNameTypeDescriptor", Kind::Descriptor("otherNameTypeDescriptors")),
    req("firstName", text(75)),
    req("lastSurname", text(75)),
    opt("middleName", text(75)),
    opt("generationCodeSuffix", text(10)),
    opt("personalTitlePrefix", text(30)),
];

pub const STUDENTS: ResourceDef = ResourceDef {
    name: "students",
    fields: &[
        req("studentUniqueId", text(32)),
        req("firstName", text(75)),
        req("lastSurname", text(75)),
        req("birthDate", Kind::Date),
        opt("middleName", text(75)),
        opt("generationCodeSuffix", text(10)),
        opt("personalTitlePrefix", text(30)),
        opt("maidenName", text(75)),
        opt("preferredFirstName", text(75)),
        opt("preferredLastSurname", text(75)),
        opt("birthCity", Kind::Text { min: 2, max: 30 }),
        opt("birthStateAbbreviationDescriptor", Kind::Descriptor("stateAbbreviationDescriptors")),
        opt("birthInternationalProvince", text(150)),
        opt("birthCountryDescriptor", Kind::Descriptor("countryDescriptors")),
        opt("dateEnteredUS", Kind::Date),
        opt("multipleBirthStatus", Kind::Boolean),
        opt("birthSexDescriptor", Kind::Descriptor("sexDescriptors")),
        opt("citizenshipStatusDescriptor", Kind::Descriptor("citizenshipStatusDescriptors")),
        opt(
            "personReference",
            Kind::Object(&[
                req("personId", text(32)),
                req("sourceSystemDescriptor", Kind::Descriptor("sourceSystemDescriptors")),
            ]),
        ),
        opt("identificationDocuments", Kind::Collection { item: IDENTIFICATION_DOCUMENT, min_items: 0 }),
        opt("otherNames", Kind::Collection { item: OTHER_NAME, min_items: 0 }),
        opt(
            "personalIdentificationDocuments",
            Kind::Collection { item: IDENTIFICATION_DOCUMENT, min_items: 0 },
        ),
        opt(
            "visas",
            Kind::Collection {
                item: &[req("visaDescriptor", Kind::Descriptor("visaDescriptors"))],
                min_items: 0,
            },
        ),
    ],
    natural_key: &["studentUniqueId"],
    key_change_allowed: false,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[
        UniquenessConstraint {
            paths: &[
                "$.identificationDocuments[*].identificationDocumentUseDescriptor",
                "$.identificationDocuments[*].personalInformationVerificationDescriptor",
            ],
        },
        UniquenessConstraint {
            paths: &[
                "$.personalIdentificationDocuments[*].identificationDocumentUseDescriptor",
                "$.personalIdentificationDocuments[*].personalInformationVerificationDescriptor",
            ],
        },
        UniquenessConstraint { paths: &["$.otherNames[*].otherNameTypeDescriptor"] },
        UniquenessConstraint { paths: &["$.visas[*].visaDescriptor"] },
    ],
};

pub const CLASS_PERIODS: ResourceDef = ResourceDef {
    name: "classPeriods",
    fields: &[
        req("classPeriodName", text(60)),
        req("schoolReference", SCHOOL_REFERENCE),
        opt(
            "meetingTimes",
            Kind::Collection {
                item: &[req("startTime", Kind::Time), req("endTime", Kind::Time)],
                min_items: 0,
            },
        ),
        opt("officialAttendancePeriod", Kind::Boolean),
    ],
    natural_key: &["classPeriodName", "schoolReference.schoolId"],
    key_change_allowed: true,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[UniquenessConstraint {
        paths: &["$.meetingTimes[*].startTime", "$.meetingTimes[*].endTime"],
    }],
};

pub const COURSES: ResourceDef = ResourceDef {
    name: "courses",
    fields: &[
        req("courseCode", text(60)),
        req("educationOrganizationReference", EDUCATION_ORGANIZATION_REFERENCE),
        req("courseTitle", text(60)),
        req("numberOfParts", NUMBER_OF_PARTS),
        req(
            "identificationCodes",
            Kind::Collection {
                item: &[
                    req(
                        "courseIdentificationSystemDescriptor",
                        Kind::Descriptor("courseIdentificationSystemDescriptors"),
                    ),
                    req("identificationCode", text(60)),
                    opt("assigningOrganizationIdentificationCode", text(60)),
                    opt("courseCatalogURL", text(255)),
                ],
                min_items: 1,
            },
        ),
        opt("courseDescription", text(1024)),
        opt("academicSubjectDescriptor", Kind::Descriptor("academicSubjectDescriptors")),
        opt("dateCourseAdopted", Kind::Date),
        opt("highSchoolCourseRequirement", Kind::Boolean),
    ],
    natural_key: &["courseCode", "educationOrganizationReference.educationOrganizationId"],
    key_change_allowed: false,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[UniquenessConstraint {
        paths: &["$.identificationCodes[*].courseIdentificationSystemDescriptor"],
    }],
};

pub const SESSIONS: ResourceDef = ResourceDef {
    name: "sessions",
    fields: &[
        req("sessionName", text(60)),
        req("schoolReference", SCHOOL_REFERENCE),
        req("schoolYearTypeReference", SCHOOL_YEAR_TYPE_REFERENCE),
        req("beginDate", Kind::Date),
        req("endDate", Kind::Date),
        req("termDescriptor", Kind::Descriptor("termDescriptors")),
        req("totalInstructionalDays", TOTAL_INSTRUCTIONAL_DAYS),
    ],
    natural_key: &["sessionName", "schoolReference.schoolId", "schoolYearTypeReference.schoolYear"],
    key_change_allowed: true,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[],
};

pub const COURSE_OFFERINGS: ResourceDef = ResourceDef {
    name: "courseOfferings",
    fields: &[
        req("localCourseCode", text(60)),
        req("schoolReference", SCHOOL_REFERENCE),
        req("sessionReference", SESSION_REFERENCE),
        req("courseReference", COURSE_REFERENCE),
        opt("localCourseTitle", text(60)),
        opt("instructionalTimePlanned", DURATION),
    ],
    natural_key: &[
        "localCourseCode",
        "schoolReference.schoolId",
        "sessionReference.schoolYear",
        "sessionReference.sessionName",
    ],
    key_change_allowed: false,
    is_descriptor: false,
    equality_constraints: &[EqualityConstraint {
        source: "$.sessionReference.schoolId",
        target: "$.schoolReference.schoolId",
    }],
    uniqueness_constraints: &[],
};

pub const SECTIONS: ResourceDef = ResourceDef {
    name: "sections",
    fields: &[
        req("sectionIdentifier", text(255)),
        req("courseOfferingReference", COURSE_OFFERING_REFERENCE),
        opt("sectionName", text(100)),
        opt("sequenceOfCourse", SEQUENCE_OF_COURSE),
        opt("officialAttendancePeriod", Kind::Boolean),
        opt(
            "classPeriods",
            Kind::Collection { item: &[req("classPeriodReference", CLASS_PERIOD_REFERENCE)], min_items: 0 },
        ),
    ],
    natural_key: &[
        "sectionIdentifier",
        "courseOfferingReference.localCourseCode",
        "courseOfferingReference.schoolId",
        "courseOfferingReference.schoolYear",
        "courseOfferingReference.sessionName",
    ],
    key_change_allowed: true,
    is_descriptor: false,
    equality_constraints: &[EqualityConstraint {
        source: "$.classPeriods[*].classPeriodReference.schoolId",
        target: "$.courseOfferingReference.schoolId",
    }],
    uniqueness_constraints: &[UniquenessConstraint {
        paths: &[
            "$.classPeriods[*].classPeriodReference.classPeriodName",
            "$.classPeriods[*].classPeriodReference.schoolId",
        ],
    }],
};

pub const STUDENT_SCHOOL_ASSOCIATIONS: ResourceDef = ResourceDef {
    name: "studentSchoolAssociations",
    fields: &[
        req("studentReference", STUDENT_REFERENCE),
        req("schoolReference", SCHOOL_REFERENCE),
        req("entryDate", Kind::Date),
        req("entryGradeLevelDescriptor", Kind::Descriptor("gradeLevelDescriptors")),
        opt("entryTypeDescriptor", Kind::Descriptor("entryTypeDescriptors")),
        opt("exitWithdrawDate", Kind::Date),
        opt("exitWithdrawTypeDescriptor", Kind::Descriptor("exitWithdrawTypeDescriptors")),
        opt("primarySchool", Kind::Boolean),
        opt("repeatGradeIndicator", Kind::Boolean),
    ],
    natural_key: &["studentReference.studentUniqueId", "schoolReference.schoolId", "entryDate"],
    key_change_allowed: true,
    is_descriptor: false,
    equality_constraints: &[],
    uniqueness_constraints: &[],
};

/// Every resource served, in a valid load order: a resource comes after those it references.
pub const ALL: &[&ResourceDef] = &[
    &ACADEMIC_SUBJECT_DESCRIPTORS,
    &CITIZENSHIP_STATUS_DESCRIPTORS,
    &COUNTRY_DESCRIPTORS,
    &COURSE_IDENTIFICATION_SYSTEM_DESCRIPTORS,
    &EDUCATION_ORGANIZATION_CATEGORY_DESCRIPTORS,
    &ENTRY_TYPE_DESCRIPTORS,
    &EXIT_WITHDRAW_TYPE_DESCRIPTORS,
    &GRADE_LEVEL_DESCRIPTORS,
    &IDENTIFICATION_DOCUMENT_USE_DESCRIPTORS,
    &OTHER_NAME_TYPE_DESCRIPTORS,
    &PERSONAL_INFORMATION_VERIFICATION_DESCRIPTORS,
    &SCHOOL_TYPE_DESCRIPTORS,
    &SEX_DESCRIPTORS,
    &SOURCE_SYSTEM_DESCRIPTORS,
    &STATE_ABBREVIATION_DESCRIPTORS,
    &TERM_DESCRIPTORS,
    &VISA_DESCRIPTORS,
    &SCHOOL_YEAR_TYPES,
    &SCHOOLS,
    &STUDENTS,
    &CLASS_PERIODS,
    &COURSES,
    &SESSIONS,
    &COURSE_OFFERINGS,
    &SECTIONS,
    &STUDENT_SCHOOL_ASSOCIATIONS,
];

/// The definition for a collection name, compared exactly (URLs are case-sensitive).
pub fn find(name: &str) -> Option<&'static ResourceDef> {
    ALL.iter().copied().find(|def| def.name == name)
}

/// The resource a URL's endpoint segment names: Ed-Fi routes endpoints case-insensitively
/// (`/ed-fi/Students` is `/ed-fi/students`).
pub fn find_endpoint(segment: &str) -> Option<&'static ResourceDef> {
    ALL.iter().copied().find(|def| def.name.eq_ignore_ascii_case(segment))
}

/// Checks the definitions against each other, once at start-up: unique names, resolvable natural
/// keys, references that carry exactly their target's natural key (with the same types and integer
/// ranges), descriptor fields naming
/// descriptor resources, and [`ALL`] in load order.
pub fn check_definitions() -> Result<(), String> {
    for (position, def) in ALL.iter().enumerate() {
        if ALL.iter().filter(|other| other.name == def.name).count() > 1 {
            return Err(format!("{} is defined twice", def.name));
        }
        for path in def.natural_key {
            match def.field_kind(path) {
                Some(
                    Kind::Text { .. }
                    | Kind::Integer { .. }
                    | Kind::Date
                    | Kind::DateTime
                    | Kind::Time
                    | Kind::Decimal { .. }
                    | Kind::Descriptor(_),
                ) => {}
                _ => return Err(format!("{}: natural key path {path} is not a scalar field", def.name)),
            }
        }
        let earlier = &ALL[..position];
        check_fields(def.name, def.fields, earlier)?;
        let constraint_paths = def
            .equality_constraints
            .iter()
            .flat_map(|c| [c.source, c.target])
            .chain(def.uniqueness_constraints.iter().flat_map(|c| c.paths.iter().copied()));
        for path in constraint_paths {
            if !scalar_at(def.fields, path) {
                return Err(format!("{}: constraint path {path} names no scalar member", def.name));
            }
        }
        for constraint in def.uniqueness_constraints {
            if !constraint.paths.iter().all(|path| path.contains("[*]")) {
                return Err(format!("{}: a uniqueness constraint path is not in a collection", def.name));
            }
        }
    }
    Ok(())
}

/// Whether an ApiSchema-style path (`$.classPeriods[*].classPeriodReference.schoolId`) leads through
/// these fields to a scalar member, `[*]` exactly where a collection is.
fn scalar_at(fields: &[Field], path: &str) -> bool {
    let mut fields = fields;
    let mut members: Option<&[ReferenceMember]> = None;
    let segments: Vec<&str> = path.trim_start_matches("$.").split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, each) = segment.strip_suffix("[*]").map_or((*segment, false), |name| (name, true));
        if let Some(reference_members) = members.take() {
            return last && !each && reference_members.iter().any(|m| m.name == name);
        }
        let Some(field) = fields.iter().find(|f| f.name == name) else { return false };
        match (&field.kind, each) {
            (Kind::Collection { item, .. }, true) => fields = item,
            (Kind::Object(inner), false) => fields = inner,
            (Kind::Reference(reference), false) => members = Some(reference.members),
            (Kind::Collection { .. } | Kind::Object(_) | Kind::Reference(_), _) => return false,
            (_, true) => return false,
            (_, false) => return last,
        }
    }
    false
}

fn check_fields(resource: &str, fields: &[Field], earlier: &[&ResourceDef]) -> Result<(), String> {
    for field in fields {
        let at = |problem: String| format!("{resource}.{}: {problem}", field.name);
        match &field.kind {
            Kind::Descriptor(target) => {
                if !earlier.iter().any(|d| d.name == *target && d.is_descriptor) {
                    return Err(at(format!("{target} is not a descriptor resource loaded earlier")));
                }
            }
            Kind::Reference(reference) => {
                let Some(target) = earlier.iter().find(|d| d.name == reference.target) else {
                    return Err(at(format!("{} is not a resource loaded earlier", reference.target)));
                };
                let carried: Vec<&str> = reference.members.iter().map(|m| m.target_path).collect();
                let mut wanted = target.natural_key.to_vec();
                let mut carried_sorted = carried.clone();
                wanted.sort_unstable();
                carried_sorted.sort_unstable();
                if wanted != carried_sorted {
                    return Err(at(format!(
                        "carries {carried:?}, {} has key {:?}",
                        target.name, target.natural_key
                    )));
                }
                for member in reference.members {
                    let target_kind = target.field_kind(member.target_path);
                    let same_type = match (target_kind, &member.kind) {
                        (Some(Kind::Integer(have)), Kind::Integer(carried)) => have == carried,
                        (Some(kind), carried) => {
                            std::mem::discriminant(kind) == std::mem::discriminant(carried)
                        }
                        (None, _) => false,
                    };
                    if !same_type {
                        return Err(at(format!(
                            "{} has another type than {}",
                            member.name, member.target_path
                        )));
                    }
                }
            }
            Kind::Object(inner) | Kind::Collection { item: inner, .. } => {
                check_fields(resource, inner, earlier)?
            }
            Kind::Text { .. }
            | Kind::Date
            | Kind::Time
            | Kind::DateTime
            | Kind::Duration
            | Kind::Decimal { .. }
            | Kind::Boolean
            | Kind::Integer { .. } => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        assert_eq!(check_definitions(), Ok(()));
    }

    #[test]
    fn constraint_paths_must_lead_to_scalars_through_collections() {
        let fields = SECTIONS.fields;
        assert!(scalar_at(fields, "$.classPeriods[*].classPeriodReference.schoolId"));
        assert!(scalar_at(fields, "$.courseOfferingReference.schoolId"));
        assert!(scalar_at(fields, "$.sectionIdentifier"));
        for bad in [
            "$.classPeriods.classPeriodReference.schoolId",
            "$.classPeriods[*].classPeriodReference",
            "$.classPeriods[*].classPeriodReference.nope",
            "$.sectionIdentifier[*]",
            "$.courseOfferingReference[*].schoolId",
            "$.nope",
        ] {
            assert!(!scalar_at(fields, bad), "{bad}");
        }
    }

    #[test]
    fn every_resource_in_the_core_set_is_served() {
        for name in [
            "schoolYearTypes",
            "schools",
            "students",
            "classPeriods",
            "courses",
            "sessions",
            "courseOfferings",
            "sections",
            "studentSchoolAssociations",
            "gradeLevelDescriptors",
            "educationOrganizationCategoryDescriptors",
            "termDescriptors",
            "courseIdentificationSystemDescriptors",
        ] {
            assert!(find(name).is_some(), "{name}");
        }
        let key_changes: Vec<&str> = ALL.iter().filter(|d| d.key_change_allowed).map(|d| d.name).collect();
        assert_eq!(key_changes, ["classPeriods", "sessions", "sections", "studentSchoolAssociations"]);
    }
}
